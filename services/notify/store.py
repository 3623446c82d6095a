"""Notify's tables, in plain SQL: the inbox of processed events, the emails to send and sent, rejections."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from common.db import Connection

SILENT_SECONDS = 6
"""A copy of notify that has not said it is alive for this long has stopped: what it held is
taken back. 'preparing': nothing was handed over, it is sent again; 'sending': whether it went
out cannot be known, it is not."""


async def processed_among(conn: Connection, event_ids: list[str]) -> set[str]:
    rows = await conn.fetch("SELECT event_id FROM inbox WHERE event_id = ANY($1::text[])", event_ids)
    return {row["event_id"] for row in rows}


async def claim_events(conn: Connection, event_ids: list[str], subject: str) -> set[str]:
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
    claimed_at: datetime  # this claim's token: a copy acts on the row only while it still holds it


async def add_email(
    conn: Connection, account_id: str, address: str, locale: str, kind: str, domain: str, merge: dict[str, str]
) -> None:
    """Add an email to send, inside the caller's transaction. If the account already has one of a
    kind in `merge` waiting, that one becomes `merge[kind]` instead (two notices become one)."""
    merged = (
        await conn.fetchval(
            "UPDATE outgoing_emails SET kind = $3 WHERE id = (SELECT id FROM outgoing_emails "
            "WHERE account_id = $1 AND state = 'pending' AND kind = ANY($2::text[]) LIMIT 1 FOR UPDATE SKIP LOCKED) "
            "RETURNING id",
            account_id,
            list(merge),
            merge.get(kind, kind),
        )
        if kind in merge
        else None
    )
    if merged is not None:
        return
    email_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO outgoing_emails (id, message_id, account_id, kind, locale, address) VALUES ($1, $2, $3, $4, $5, $6)",
        email_id,
        f"<{email_id}@{domain}>",
        account_id,
        kind,
        locale,
        address,
    )


async def alive(conn: Connection, instance: uuid.UUID) -> None:
    """This copy is alive (and copies silent for a day are forgotten)."""
    await conn.execute(
        "INSERT INTO sender_copies (instance, seen_at) VALUES ($1, clock_timestamp()) "
        "ON CONFLICT (instance) DO UPDATE SET seen_at = excluded.seen_at",
        instance,
    )
    await conn.execute("DELETE FROM sender_copies WHERE seen_at < now() - interval '1 day'")


async def claim_due_email(conn: Connection, instance: uuid.UUID) -> Email | None:
    """Take the next due email for this copy ('preparing') and return it."""
    row = await conn.fetchrow(
        "UPDATE outgoing_emails SET state = 'preparing', claimed_by = $1, claimed_at = clock_timestamp(), "
        "attempts = attempts + 1 "
        "WHERE id = (SELECT id FROM outgoing_emails WHERE state = 'pending' AND not_before <= now() "
        "ORDER BY not_before LIMIT 1 FOR UPDATE SKIP LOCKED) "
        "RETURNING id, message_id, kind, locale, address, attempts, claimed_at",
        instance,
    )
    return None if row is None else Email(**dict(row))


async def email_sending(conn: Connection, email: Email) -> bool:
    """Commit that the message is about to be handed over, if this copy still holds the row
    (False: another copy took it back). The claim's token stays: if this commit's answer is
    lost, the copy can still put the row back."""
    return (
        await conn.fetchval(
            "UPDATE outgoing_emails SET state = 'sending' WHERE id = $1 AND state = 'preparing' AND claimed_at = $2 "
            "RETURNING true",
            email.id,
            email.claimed_at,
        )
        is not None
    )


async def _settle(conn: Connection, email: Email, assignments: str, *args: object) -> None:
    """Change a row this copy holds (under this claim); a row taken back meanwhile stays as it is."""
    await conn.execute(
        f"UPDATE outgoing_emails SET {assignments} WHERE id = $1 AND claimed_at = $2", email.id, email.claimed_at, *args
    )


async def email_sent(conn: Connection, email: Email) -> None:
    await _settle(conn, email, "state = 'sent', sent_at = now()")


async def email_refused(conn: Connection, email: Email) -> None:
    await _settle(conn, email, "state = 'refused'")


async def email_in_doubt(conn: Connection, email: Email) -> None:
    await _settle(conn, email, "state = 'uncertain'")


async def email_deferred(conn: Connection, email: Email, seconds: float) -> None:
    """Not handed over (the mail server was away): due again in `seconds`."""
    await _settle(conn, email, "state = 'pending', not_before = now() + make_interval(secs => $3)", seconds)


async def email_interrupted(conn: Connection, email: Email, seconds: float) -> None:
    """Sending failed at a point unknown: due again in `seconds` if it had not reached the
    hand-over ('preparing'), else in doubt, never sent again."""
    await conn.execute(
        "UPDATE outgoing_emails SET state = CASE WHEN state = 'preparing' THEN 'pending' ELSE 'uncertain' END, "
        "not_before = now() + make_interval(secs => $3) "
        "WHERE id = $1 AND claimed_at = $2 AND state IN ('preparing', 'sending')",
        email.id,
        email.claimed_at,
        seconds,
    )


async def abandoned_emails(conn: Connection) -> tuple[int, int]:
    """Rows a stopped copy left: 'preparing' ones are due again (nothing was handed over),
    'sending' ones become 'uncertain' and are never sent again. How many of each."""
    rows = await conn.fetch(
        "UPDATE outgoing_emails AS e SET state = CASE WHEN e.state = 'preparing' THEN 'pending' ELSE 'uncertain' END "
        "WHERE e.state IN ('preparing', 'sending') AND NOT EXISTS (SELECT 1 FROM sender_copies c "
        "WHERE c.instance = e.claimed_by AND c.seen_at > clock_timestamp() - make_interval(secs => $1)) "
        "RETURNING e.state",
        SILENT_SECONDS,
    )
    again = sum(1 for row in rows if row["state"] == "pending")
    return again, len(rows) - again


async def record_rejection(conn: Connection, subject: str, event_id: str | None, reason: str) -> None:
    await conn.execute(
        "INSERT INTO rejections (subject, event_id, reason) VALUES ($1, $2, $3)", subject, event_id, reason
    )
