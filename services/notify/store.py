"""Notify's tables, in plain SQL: the inbox of processed events, new documents' and answers' notices,
what waits for the daily summary (the ledgers of what is sent: ledger.py; the summaries themselves:
summaries.py; rejections: common.rejections)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

from common.db import Connection

from .ledger import Ledger

EMAILS = Ledger("outgoing_emails")  # only to add to it here: sending is the Sender's


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


async def add_email(
    conn: Connection,
    account_id: str,
    address: str,
    locale: str,
    kind: str,
    domain: str,
    merge: dict[str, str],
    fields: dict[str, str] | None = None,
) -> None:
    """Add an email to send, inside the caller's transaction. If the account already has one of a
    kind in `merge` waiting, that one becomes `merge[kind]` instead (two notices become one; its
    text needs no `fields`)."""
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
    if merged is None:
        await EMAILS.insert(
            conn, kind=kind, locale=locale, address=address, domain=domain, account_id=account_id, fields=fields
        )


DigestKind = Literal["document", "answer"]


async def add_to_digest(
    conn: Connection, account_id: str, physician: str, kind: DigestKind, event_ids: Collection[str]
) -> None:
    """Keep events for the physician's next daily summary, inside the caller's transaction."""
    await conn.execute(
        "INSERT INTO digest_items (event_id, account_id, physician, kind) SELECT unnest($1::text[]), $2, $3, $4 "
        "ON CONFLICT (event_id) DO NOTHING",
        list(event_ids),
        account_id,
        physician,
        kind,
    )
