"""Notify's tables, in plain SQL: the inbox of processed events, the emails to send and sent, rejections."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

SENDING_LEASE_SECONDS = 30
"""A row 'sending' longer than this belongs to a copy that died while sending (an SMTP
transaction is given 15 s): whether its email went out cannot be known."""


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


@dataclass(frozen=True)
class Email:
    """An email to send, as its row holds it (the text is composed from kind and locale)."""

    id: uuid.UUID
    message_id: str
    kind: str
    locale: str
    address: str
    attempts: int


async def add_email(
    conn: asyncpg.Connection, account_id: str, address: str, locale: str, kind: str, domain: str, merge: dict[str, str]
) -> None:
    """Add an email to send, inside the caller's transaction. If the account already has one of a
    kind in `merge` waiting, that one becomes `merge[kind]` instead (two notices become one)."""
    merged = await conn.fetchval(
        "UPDATE outgoing_emails SET kind = $3 WHERE id = (SELECT id FROM outgoing_emails "
        "WHERE account_id = $1 AND state = 'pending' AND kind = ANY($2::text[]) LIMIT 1 FOR UPDATE SKIP LOCKED) "
        "RETURNING id",
        account_id, list(merge), merge.get(kind, kind),
    ) if kind in merge else None
    if merged is not None:
        return
    email_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO outgoing_emails (id, message_id, account_id, kind, locale, address) VALUES ($1, $2, $3, $4, $5, $6)",
        email_id, f"<{email_id}@{domain}>", account_id, kind, locale, address,
    )


async def claim_due_emails(conn: asyncpg.Connection, limit: int) -> list[Email]:
    """Mark due emails 'sending' (committed before any is sent: at most once) and return them."""
    rows = await conn.fetch(
        "UPDATE outgoing_emails SET state = 'sending', claimed_at = now(), attempts = attempts + 1 "
        "WHERE id IN (SELECT id FROM outgoing_emails WHERE state = 'pending' AND not_before <= now() "
        "ORDER BY not_before LIMIT $1 FOR UPDATE SKIP LOCKED) "
        "RETURNING id, message_id, kind, locale, address, attempts",
        limit,
    )
    return [Email(**dict(row)) for row in rows]


async def email_sent(conn: asyncpg.Connection, email_id: uuid.UUID) -> None:
    await conn.execute("UPDATE outgoing_emails SET state = 'sent', sent_at = now() WHERE id = $1", email_id)


async def email_refused(conn: asyncpg.Connection, email_id: uuid.UUID) -> None:
    await conn.execute("UPDATE outgoing_emails SET state = 'refused' WHERE id = $1", email_id)


async def email_deferred(conn: asyncpg.Connection, email_id: uuid.UUID, seconds: float) -> None:
    """Not sent (the mail server was away): due again in `seconds`."""
    await conn.execute(
        "UPDATE outgoing_emails SET state = 'pending', not_before = now() + make_interval(secs => $2) WHERE id = $1",
        email_id, seconds,
    )


async def abandoned_emails(conn: asyncpg.Connection) -> int:
    """Emails left 'sending' by a copy that died: marked 'uncertain', never sent again; how many."""
    result = await conn.execute(
        "UPDATE outgoing_emails SET state = 'uncertain' "
        "WHERE state = 'sending' AND claimed_at < now() - make_interval(secs => $1)",
        SENDING_LEASE_SECONDS,
    )
    return int(result.split()[-1])


async def next_due(conn: asyncpg.Connection) -> datetime | None:
    return await conn.fetchval("SELECT min(not_before) FROM outgoing_emails WHERE state = 'pending'")


async def record_rejection(conn: asyncpg.Connection, subject: str, event_id: str | None, reason: str) -> None:
    await conn.execute(
        "INSERT INTO rejections (subject, event_id, reason) VALUES ($1, $2, $3)", subject, event_id, reason
    )
