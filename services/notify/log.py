"""The notification log (F10): what notify sent, when, to which address, never the content. A
physician reads their own; administrators search everyone's. Every email sent is audited (one
record each, naming its kind and Message-ID, never its text).

The log is the ledgers themselves (`outgoing_emails`, `outgoing_sms`): their rows keep the kind,
the address and the moments, and never a text.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, get_args

import asyncpg

from common.contracts import audit
from common.contracts import notifications as api
from common.db import Connection
from common.errors import NotFound
from common.outbox import enqueue
from common.tokens import Caller

from .ledger import Outgoing
from .summaries import ZURICH

# A kind's category, as SQL (the filter) and as the rows say it.
_CATEGORY = (
    "CASE WHEN kind IN ('new_document', 'new_documents') THEN 'documents' "
    "WHEN kind IN ('request_answered', 'requests_answered') THEN 'answers' "
    "WHEN kind = 'daily_summary' THEN 'daily_summary' "
    "WHEN kind LIKE 'code.%' THEN 'code' "
    "WHEN kind LIKE 'notice.%' THEN 'notice' "
    "WHEN kind LIKE 'temporary_password.%' THEN 'password' "
    "ELSE 'other' END"
)
_DELIVERY = (
    "CASE WHEN state IN ('pending', 'preparing', 'sending') THEN 'waiting' ELSE state END"  # the rest: their own name
)
_ROWS = (
    f"SELECT '{{channel}}' AS channel, kind, {_CATEGORY} AS category, address, {_DELIVERY} AS delivery, "
    "created_at, sent_at, account_id FROM {table}"
)
_BOTH = f"({_ROWS.format(channel='email', table='outgoing_emails')} UNION ALL {_ROWS.format(channel='sms', table='outgoing_sms')})"

assert set(get_args(api.Delivery)) == {"waiting", "sent", "refused", "uncertain", "expired"}


@dataclass(frozen=True)
class Deps:
    pool: asyncpg.Pool


async def my_notifications(msg: api.NotificationQuery, caller: Caller, deps: Deps) -> api.NotificationLog:
    """The caller's own notifications, the latest first (no account id: they are theirs)."""
    log = await _page(deps, msg, ["account_id = $1"], [caller.account_id])
    return log.model_copy(update={"items": [item.model_copy(update={"account_id": None}) for item in log.items]})


async def search_notifications(msg: api.NotificationSearch, caller: Caller, deps: Deps) -> api.NotificationLog:
    """Administrators only (to anyone else, this does not exist): everyone's, filtered."""
    if caller.role != "admin":
        raise NotFound()
    conditions: list[str] = []
    args: list[Any] = []

    def where(condition: str, value: Any) -> None:
        args.append(value)
        conditions.append(condition.format(f"${len(args)}"))

    if msg.account is not None:
        if _is_account_id(msg.account):
            where("account_id = {}", msg.account)
        else:  # an address: an email's whatever its case, a mobile number as written
            where("lower(address) = lower({})", msg.account.strip())
    if msg.category is not None:
        where("category = {}", msg.category)
    if msg.sent_from is not None:
        where("created_at >= {}", _start_of(msg.sent_from))
    if msg.sent_to is not None:
        where("created_at < {}", _start_of(msg.sent_to + timedelta(days=1)))
    return await _page(deps, msg, conditions, args)


async def _page(deps: Deps, msg: api.NotificationQuery, conditions: list[str], args: list[Any]) -> api.NotificationLog:
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    offset = (msg.page - 1) * msg.per_page
    async with deps.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        total = await conn.fetchval(f"SELECT count(*) FROM {_BOTH} AS log{where}", *args)
        rows = await conn.fetch(
            f"SELECT * FROM {_BOTH} AS log{where} ORDER BY created_at DESC LIMIT {msg.per_page:d} OFFSET {offset:d}",
            *args,
        )
    return api.NotificationLog(
        items=[api.NotificationEntry(**dict(row)) for row in rows], total=total, page=msg.page, per_page=msg.per_page
    )


def _is_account_id(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _start_of(day: date) -> datetime:
    """Midnight of `day` in Zurich."""
    return datetime.combine(day, time(0), ZURICH).astimezone(UTC)


async def audit_email_sent(conn: Connection, item: Outgoing) -> None:
    """In the transaction that records an email as sent: its audit record (no content; the same
    event id however often that commit is tried)."""
    record = audit.AuditRecord(
        event_id=f"notify-email-{item.id}",
        action="notification.email_sent",
        outcome="success",
        actor=audit.Party(kind="system", id="notify"),
        entity=audit.Entity(kind="account", id=item.account_id) if item.account_id else None,
        detail=f"email {item.kind}, Message-ID {item.message_id}",
    )
    await enqueue(conn, audit.subject_for("notify"), record)
