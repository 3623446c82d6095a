"""The audit log's table, in plain SQL."""

from __future__ import annotations

from common.db import Connection

from .chain import GENESIS, Entry

CHAIN_LOCK = "audit:records"


async def lock_chain(conn: Connection) -> None:
    """Serialize appends until the end of the transaction, so that each links to the true last row."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", CHAIN_LOCK)


async def existing_event_ids(conn: Connection, event_ids: list[str]) -> set[str]:
    rows = await conn.fetch("SELECT event_id FROM records WHERE event_id = ANY($1::text[])", event_ids)
    return {row["event_id"] for row in rows}


async def last_hash(conn: Connection) -> bytes:
    """The hash of the newest row, or the genesis value for an empty log."""
    value = await conn.fetchval("SELECT hash FROM records ORDER BY seq DESC LIMIT 1")
    return bytes(value) if value is not None else GENESIS


_INSERT_RECORD = """
    INSERT INTO records (event_id, source, recorded_at, action, outcome, actor_kind, actor_id,
                         entity_kind, entity_id, entity_version, client_ip, detail, prev_hash, hash)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
"""


def _record_row(entry: Entry, prev_hash: bytes, hash_: bytes) -> tuple[object, ...]:
    return (
        entry.event_id,
        entry.source,
        entry.recorded_at,
        entry.action,
        entry.outcome,
        entry.actor_kind,
        entry.actor_id,
        entry.entity_kind,
        entry.entity_id,
        entry.entity_version,
        entry.client_ip,
        entry.detail,
        prev_hash,
        hash_,
    )


async def insert_records(conn: Connection, rows: list[tuple[Entry, bytes, bytes]]) -> None:
    """Append rows (entry, previous hash, hash), in order, in one round trip."""
    await conn.executemany(_INSERT_RECORD, [_record_row(*row) for row in rows])
