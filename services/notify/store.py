"""Notify's tables, in plain SQL: the inbox of processed events and the log of sent emails."""
from __future__ import annotations

import asyncpg


async def processed_among(conn: asyncpg.Connection, event_ids: list[str]) -> set[str]:
    rows = await conn.fetch("SELECT event_id FROM inbox WHERE event_id = ANY($1::text[])", event_ids)
    return {row["event_id"] for row in rows}


async def claim_events(conn: asyncpg.Connection, event_ids: list[str], subject: str) -> set[str]:
    """Record events as processed in one statement; return those that were not already."""
    rows = await conn.fetch(
        "INSERT INTO inbox (event_id, subject) SELECT unnest($1::text[]), $2 "
        "ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
        event_ids,
        subject,
    )
    return {row["event_id"] for row in rows}


async def record_sent_email(conn: asyncpg.Connection, account_id: str, kind: str) -> None:
    await conn.execute("INSERT INTO sent_emails (account_id, kind) VALUES ($1, $2)", account_id, kind)
