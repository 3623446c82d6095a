"""The ledgers of what notify sends, one per channel (`outgoing_emails`, `outgoing_sms`), in SQL.

A row is written in the transaction that decided it, claimed by one copy of notify just before
it is sent ('preparing'), committed 'sending' just before it is handed over, and settled: 'sent',
'refused' (never will be), 'expired' (a code no longer usable), or 'uncertain' (handed over
when its copy died, or its answer was lost: the receiver may have it). Every step on a row checks that this copy still
holds it (its claim's time is the token). The row stays as the log of what went where and when;
never the text, and the sealed secret is erased once the row is settled.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from common.db import Connection

SILENT_SECONDS = 6
"""A copy of notify that has not said it is alive for this long has stopped: what it held is
taken back. 'preparing': nothing was handed over, it is sent again; 'sending': sent again only
to a receiver that takes a message twice as once, else 'uncertain'."""


@dataclass(frozen=True)
class Outgoing:
    """A message to send, as its row holds it (its text is composed from kind, locale and fields)."""

    id: uuid.UUID
    message_id: str
    kind: str
    locale: str
    address: str
    attempts: int
    claimed_at: datetime  # this claim's token: a copy acts on the row only while it still holds it
    fields: dict[str, Any]
    sealed: str | None
    expires_at: datetime | None
    account_id: str | None = None  # whose notification log it is in (None: no account's)


_COLUMNS = "id, message_id, kind, locale, address, attempts, claimed_at, fields, sealed, expires_at, account_id"
_SETTLED = "sealed = NULL"  # a settled row keeps no secret


class Ledger:
    """One channel's rows. `idempotent_receiver`: the mail server or SMS provider takes a message
    handed over twice (same Message-ID or idempotency token) as once; then a message whose copy
    died while handing it over is sent again rather than left uncertain."""

    def __init__(self, table: Literal["outgoing_emails", "outgoing_sms"], idempotent_receiver: bool = False) -> None:
        self.table = table
        self.idempotent_receiver = idempotent_receiver

    async def insert(
        self,
        conn: Connection,
        *,
        kind: str,
        locale: str,
        address: str,
        domain: str,
        account_id: str | None = None,
        fields: dict[str, Any] | None = None,
        sealed: str | None = None,
        expires_at: datetime | None = None,
    ) -> uuid.UUID:
        """Add a message to send, inside the caller's transaction."""
        row_id = uuid.uuid4()
        await conn.execute(
            f"INSERT INTO {self.table} (id, message_id, account_id, kind, locale, address, fields, sealed, expires_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)",
            row_id,
            f"<{row_id}@{domain}>",
            account_id,
            kind,
            locale,
            address,
            json.dumps(fields or {}),
            sealed,
            expires_at,
        )
        return row_id

    async def claim_due(self, conn: Connection, instance: uuid.UUID) -> Outgoing | None:
        """Take the next due message for this copy ('preparing') and return it."""
        row = await conn.fetchrow(
            f"UPDATE {self.table} SET state = 'preparing', claimed_by = $1, claimed_at = clock_timestamp(), "
            "attempts = attempts + 1 "
            f"WHERE id = (SELECT id FROM {self.table} WHERE state = 'pending' AND not_before <= now() "
            f"ORDER BY not_before LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING {_COLUMNS}",
            instance,
        )
        if row is None:
            return None
        return Outgoing(**{**dict(row), "fields": json.loads(row["fields"])})

    async def sending(self, conn: Connection, item: Outgoing) -> bool:
        """Commit that the message is about to be handed over, if this copy still holds the row
        (False: another copy took it back). The claim's token stays: if this commit's answer is
        lost, the copy can still put the row back."""
        return (
            await conn.fetchval(
                f"UPDATE {self.table} SET state = 'sending' WHERE id = $1 AND state = 'preparing' AND claimed_at = $2 "
                "RETURNING true",
                item.id,
                item.claimed_at,
            )
            is not None
        )

    async def _settle(
        self, conn: Connection, item: Outgoing, assignments: str, *args: object, settled_too: bool = False
    ) -> bool:
        """Change a row this copy holds (under this claim, not settled yet); a row taken back or
        settled meanwhile stays as it is (False). `settled_too`: also over 'uncertain' (the
        receiver's answer is the truth: it did take it)."""
        states = "('preparing', 'sending', 'uncertain')" if settled_too else "('preparing', 'sending')"
        status = await conn.execute(
            f"UPDATE {self.table} SET {assignments} WHERE id = $1 AND claimed_at = $2 AND state IN {states}",
            item.id,
            item.claimed_at,
            *args,
        )
        return status == "UPDATE 1"

    async def sent(self, conn: Connection, item: Outgoing) -> bool:
        """Settled as sent; False if it was already (a commit whose answer was lost, tried again)."""
        return await self._settle(conn, item, f"state = 'sent', sent_at = now(), {_SETTLED}", settled_too=True)

    async def refused(self, conn: Connection, item: Outgoing) -> None:
        await self._settle(conn, item, f"state = 'refused', {_SETTLED}")

    async def expired(self, conn: Connection, item: Outgoing) -> None:
        await self._settle(conn, item, f"state = 'expired', {_SETTLED}")

    async def in_doubt(self, conn: Connection, item: Outgoing) -> None:
        await self._settle(conn, item, f"state = 'uncertain', {_SETTLED}")

    async def deferred(self, conn: Connection, item: Outgoing, seconds: float) -> None:
        """Not handed over (the receiver was away), or handed over to a receiver that takes it
        twice as once: due again in `seconds`."""
        await self._settle(conn, item, "state = 'pending', not_before = now() + make_interval(secs => $3)", seconds)

    async def interrupted(self, conn: Connection, item: Outgoing, seconds: float) -> None:
        """Sending failed at a point unknown: due again in `seconds` if it had not reached the
        hand-over ('preparing') or the receiver is idempotent, else in doubt, never sent again."""
        again = "true" if self.idempotent_receiver else "state = 'preparing'"
        await conn.execute(
            f"UPDATE {self.table} SET state = CASE WHEN {again} THEN 'pending' ELSE 'uncertain' END, "
            f"sealed = CASE WHEN {again} THEN sealed END, not_before = now() + make_interval(secs => $3) "
            "WHERE id = $1 AND claimed_at = $2 AND state IN ('preparing', 'sending')",
            item.id,
            item.claimed_at,
            seconds,
        )

    async def abandoned(self, conn: Connection) -> tuple[int, int]:
        """Rows a stopped copy left: due again if nothing was handed over ('preparing') or the
        receiver is idempotent; else 'uncertain', never sent again. How many of each."""
        again = "true" if self.idempotent_receiver else "m.state = 'preparing'"
        rows = await conn.fetch(
            f"UPDATE {self.table} AS m SET state = CASE WHEN {again} THEN 'pending' ELSE 'uncertain' END, "
            f"sealed = CASE WHEN {again} THEN m.sealed END "
            "WHERE m.state IN ('preparing', 'sending') AND NOT EXISTS (SELECT 1 FROM sender_copies c "
            "WHERE c.instance = m.claimed_by AND c.seen_at > clock_timestamp() - make_interval(secs => $1)) "
            "RETURNING m.state",
            SILENT_SECONDS,
        )
        again_count = sum(1 for row in rows if row["state"] == "pending")
        return again_count, len(rows) - again_count


async def alive(conn: Connection, instance: uuid.UUID) -> None:
    """This copy is alive (and copies silent for a day are forgotten)."""
    await conn.execute(
        "INSERT INTO sender_copies (instance, seen_at) VALUES ($1, clock_timestamp()) "
        "ON CONFLICT (instance) DO UPDATE SET seen_at = excluded.seen_at",
        instance,
    )
    await conn.execute("DELETE FROM sender_copies WHERE seen_at < now() - interval '1 day'")
