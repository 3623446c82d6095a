"""A consuming service's record of the messages it set aside: its own `rejections` table, committed
before the message is acknowledged (see common.consumed.RejectHandler)."""

from __future__ import annotations

from .db import Connection


async def record(conn: Connection, subject: str, event_id: str | None, reason: str) -> None:
    """Keep a rejected message's subject, event id (when readable) and the reason it was set aside."""
    await conn.execute(
        "INSERT INTO rejections (subject, event_id, reason) VALUES ($1, $2, $3)", subject, event_id, reason
    )
