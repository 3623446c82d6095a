"""Re-wrap every document's data key with the active master key: `python -m services.documents.rotate_master_key`.

Run it after adding a new key to PORTAL_MASTER_KEYS and making it PORTAL_MASTER_KEY_ID (keep
the old key listed until this has finished, and until the requests service's own rotation has
finished too: both keep contents sealed with the same master keys). Contents are not
re-encrypted; only the wrapped data keys change, in small transactions (common/sealed/rotation.py),
so it can run while the service runs and be resumed.
"""

from __future__ import annotations

import asyncio

from common.sealed.rotation import rotate

from .config import DocumentsSettings
from .contents import TABLES


def main() -> None:
    settings = DocumentsSettings.from_env()
    service = settings.service
    asyncio.run(rotate("documents", service.database_url, service.log_level, TABLES, settings.master_keys))


if __name__ == "__main__":
    main()
