"""Re-wrap every document's data key with the active master key: `python -m services.documents.rotate_master_key`.

Run it after adding a new key to PORTAL_MASTER_KEYS and making it PORTAL_MASTER_KEY_ID (keep
the old key listed until this has finished). Contents are not re-encrypted; only the wrapped
data keys change, in small transactions, so it can run while the service runs and be resumed.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from common.logs import configure_logging
from common.service import open_pool

from .config import DocumentsSettings
from .crypto import MasterKeys

log = logging.getLogger(__name__)

BATCH = 500


async def rotate(pool: asyncpg.Pool, keys: MasterKeys) -> int:
    """Re-wrap the data keys not wrapped by the active master key; return how many were."""
    rotated = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT document_id, version, key_id, wrapped_key FROM documents WHERE key_id <> $1 "
                "LIMIT $2 FOR UPDATE",
                keys.active_id,
                BATCH,
            )
            for row in rows:
                key_id, wrapped = keys.rewrap(row["key_id"], bytes(row["wrapped_key"]))
                await conn.execute(
                    "UPDATE documents SET key_id = $3, wrapped_key = $4 WHERE document_id = $1 AND version = $2",
                    row["document_id"],
                    row["version"],
                    key_id,
                    wrapped,
                )
        rotated += len(rows)
        if len(rows) < BATCH:
            return rotated


async def main() -> None:
    settings = DocumentsSettings.from_env()
    configure_logging(settings.service.log_level, "documents-rotate")
    pool = await open_pool(settings.service.database_url, "documents", "documents-rotate", max_size=2)
    try:
        count = await rotate(pool, settings.master_keys)
    finally:
        await pool.close()
    print(f"{count} data keys re-wrapped with master key {settings.master_keys.active_id}")


if __name__ == "__main__":
    asyncio.run(main())
