"""Master-key rotation for any owner's sealed objects: data keys re-wrapped, contents untouched.

Run after adding the new master key to the configuration and making it the active one (the old
key stays listed until this has finished). Small transactions: it can run while the owning
service runs, and be run again if interrupted.
"""

from __future__ import annotations

import asyncpg

from .keys import MasterKeys
from .tables import SealedTables, WrappedKey

BATCH = 500


async def rewrap_data_keys(pool: asyncpg.Pool, tables: SealedTables, keys: MasterKeys, batch: int = BATCH) -> int:
    """Re-wrap with the active master key every data key another one wraps; return how many were."""
    rewrapped = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            stale = await tables.keys_not_wrapped_by(conn, keys.active_id, batch)
            for key in stale:
                key_id, wrapped = keys.rewrap(key.key_id, key.wrapped_key)
                await tables.update_key(conn, WrappedKey(key.object_id, key.version, key_id, wrapped))
        rewrapped += len(stale)
        if len(stale) < batch:
            return rewrapped


async def rotate(service: str, database_url: str, log_level: str, tables: SealedTables, keys: MasterKeys) -> None:
    """`python -m services.<service>.rotate_master_key`: re-wrap the service's data keys, say how many."""
    from common.logs import configure_logging
    from common.service import open_pool

    configure_logging(log_level, f"{service}-rotate")
    pool = await open_pool(database_url, service, f"{service}-rotate", max_size=2)
    try:
        count = await rewrap_data_keys(pool, tables, keys)
    finally:
        await pool.close()
    print(f"{count} data keys re-wrapped with master key {keys.active_id}")
