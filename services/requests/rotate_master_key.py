"""Re-wrap every request attachment's data key with the active master key:
`python -m services.requests.rotate_master_key` (as the documents service's, whose master keys
it shares; see README, "Contents at rest")."""

from __future__ import annotations

import asyncio

from common.sealed.keys import MasterKeys
from common.sealed.rotation import rotate
from common.settings import ServiceSettings

from .attachments import TABLES


def main() -> None:
    service = ServiceSettings.from_env("requests")
    asyncio.run(rotate("requests", service.database_url, service.log_level, TABLES, MasterKeys.from_env()))


if __name__ == "__main__":
    main()
