"""Re-wrap every document's data key with the active master key: `python -m services.documents.rotate_master_key`.

Run it after adding a new key to PORTAL_MASTER_KEYS and making it PORTAL_MASTER_KEY_ID (keep
the old key listed until this has finished). Contents are not re-encrypted; only the wrapped
data keys change, in small transactions (common/sealed/rotation.py), so it can run while the
service runs and be resumed.
"""

from __future__ import annotations

import asyncio
import logging

from common.logs import configure_logging
from common.sealed.rotation import rewrap_data_keys
from common.service import open_pool

from .config import DocumentsSettings
from .contents import TABLES

log = logging.getLogger(__name__)


async def main() -> None:
    settings = DocumentsSettings.from_env()
    configure_logging(settings.service.log_level, "documents-rotate")
    pool = await open_pool(settings.service.database_url, "documents", "documents-rotate", max_size=2)
    try:
        count = await rewrap_data_keys(pool, TABLES, settings.master_keys)
    finally:
        await pool.close()
    print(f"{count} data keys re-wrapped with master key {settings.master_keys.active_id}")


if __name__ == "__main__":
    asyncio.run(main())
