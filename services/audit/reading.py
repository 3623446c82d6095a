"""Reading the audit log: the administrators' search, a physician's own activity, the checkpoints' key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from common.contracts import audit as api
from common.contracts.base import Empty
from common.errors import NotFound
from common.tokens import Caller

from .signing import CheckpointKey

DAYS_ZONE = ZoneInfo("Europe/Zurich")
"""A search's days are the administrators' (the pages show times in this zone too)."""

_RECORD_COLUMNS = (
    "seq, recorded_at, source, action, outcome, actor_kind, actor_id, entity_kind, entity_id, entity_version, "
    "client_ip, detail"
)


@dataclass(frozen=True)
class Deps:
    pool: asyncpg.Pool
    key: CheckpointKey


class _Where:
    """Conditions and their parameters, numbered as asyncpg wants them."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.params: list[object] = []

    def add(self, clause: str, value: object) -> None:
        self.params.append(value)
        self.clauses.append(clause.replace("$?", f"${len(self.params)}"))

    def sql(self) -> str:
        return " AND ".join(self.clauses) or "true"


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=DAYS_ZONE)


async def search(message: api.RecordSearch, caller: Caller, deps: Deps) -> api.RecordPage:
    """For administrators: the records that match, newest first; to anyone else, not found."""
    if caller.role != "admin":
        raise NotFound()
    where = _Where()
    if message.account:
        where.add("(actor_id = $? OR (entity_kind = 'account' AND entity_id = $?))", message.account)
    if message.action:
        where.add("action = $?", message.action)
    if message.entity:
        where.add("entity_id = $?", message.entity)
    if message.recorded_from:
        where.add("recorded_at >= $?", _day_start(message.recorded_from))
    if message.recorded_to:
        where.add("recorded_at < $?", _day_start(message.recorded_to + timedelta(days=1)))
    rows, total = await _page(deps, where, message.page, message.per_page)
    items = [api.RecordItem(**row) for row in rows]
    return api.RecordPage(items=items, total=total, page=message.page, per_page=message.per_page)


async def my_activity(message: api.ActivityQuery, caller: Caller, deps: Deps) -> api.ActivityPage:
    """A physician's own logins, documents opened and sessions ended (the records whose actor they
    are), newest first; to anyone else, not found."""
    if caller.role != "physician":
        raise NotFound()
    kinds = [message.kind] if message.kind else list(api.ACTIVITY_ACTIONS)
    where = _Where()
    where.add("actor_id = $?", caller.account_id)
    where.add("action = ANY($?::text[])", [action for kind in kinds for action in api.ACTIVITY_ACTIONS[kind]])
    where.clauses.append("NOT (action = 'login.password' AND outcome = 'success')")  # a first step, not a login
    rows, total = await _page(deps, where, message.page, message.per_page)
    items = [_activity_item(row) for row in rows]
    return api.ActivityPage(items=items, total=total, page=message.page, per_page=message.per_page)


def _activity_item(row: dict[str, Any]) -> api.ActivityItem:
    document = row["entity_kind"] == "document"
    return api.ActivityItem(
        recorded_at=row["recorded_at"],
        action=row["action"],
        outcome=row["outcome"],
        client_ip=row["client_ip"],
        document_id=row["entity_id"] if document else None,
        document_version=row["entity_version"] if document else None,
        detail=row["detail"],
    )


async def _page(deps: Deps, where: _Where, page: int, per_page: int) -> tuple[list[dict[str, Any]], int]:
    """One page of the records that match, newest first, and how many match (one snapshot)."""
    condition, n = where.sql(), len(where.params)
    async with deps.pool.acquire() as conn, conn.transaction(readonly=True, isolation="repeatable_read"):
        total = await conn.fetchval(f"SELECT count(*) FROM records WHERE {condition}", *where.params)
        rows = await conn.fetch(
            f"SELECT {_RECORD_COLUMNS} FROM records WHERE {condition} ORDER BY seq DESC LIMIT ${n + 1} OFFSET ${n + 2}",
            *where.params,
            per_page,
            (page - 1) * per_page,
        )
    return [dict(row) for row in rows], int(total)


async def checkpoint_key(message: Empty, deps: Deps) -> api.CheckpointKey:
    """The public key that verifies the checkpoints (public: the gateway serves it)."""
    return api.CheckpointKey(pem=deps.key.pem(), key_id=deps.key.key_id)
