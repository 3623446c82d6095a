"""The services' inboxes (F3.4): a member of a service sees its sent requests, takes one, answers
it or asks the physician for more, and closes it. Every step is audited and published on
`portal.requests.status` (by the member's login); members of other services see nothing of it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg

from common.codec import Written
from common.contracts import audit
from common.contracts import hospital_requests as contract
from common.contracts import requests as api
from common.db import Connection
from common.errors import InvalidRequest, NotFound
from common.tokens import Caller

from . import attachments
from .directory import LISTED, Deps, summary
from .drafts import COLUMNS, detail, request_key, snapshot, with_thread
from .trail import answer_arrived, audited, publish

BOXES = {  # as inbox_box() in migration 011 puts each request in a box (its count)
    "new": "status IN ('submitted', 'received') AND assigned_to IS NULL",
    "mine": "assigned_to = $2 AND status <> 'closed'",
    "waiting": "status = 'information_needed'",
    "closed": "status = 'closed'",
}


def _staff(caller: Caller) -> uuid.UUID:
    """A member of the services' staff; anyone else has no inbox (not found)."""
    if caller.role != "service_staff":
        raise NotFound()
    return uuid.UUID(caller.account_id)


_THEIRS = (
    f"SELECT {LISTED} FROM services "
    "WHERE code IN (SELECT service FROM service_members WHERE account_id = $1) ORDER BY name"
)


async def my_services(msg: api.ListServices, caller: Caller, deps: Deps) -> api.ServiceList:
    """The services whose inbox the member works."""
    async with deps.pool.acquire() as conn:
        rows = await conn.fetch(_THEIRS, _staff(caller))
    return api.ServiceList(services=[summary(row) for row in rows])


async def inbox(msg: api.InboxQuery, caller: Caller, deps: Deps) -> Written[api.Inbox]:
    """One page of one box of a service the member works (their first if none is named; another
    service's is not found), with how many requests the box holds and the member's services.

    The page and its box's count come from one statement: the page straight off the box's own
    index, the count kept in box_counts (migration 011; `mine`, a member's backlog, counted). The
    page is written as plain values (common/codec.py, Written): the gateway validates it."""
    member = _staff(caller)
    async with deps.pool.acquire() as conn:
        services = [summary(row) for row in await conn.fetch(_THEIRS, member)]
        code = msg.service or (services[0].code if services else None)
        if code is not None and code not in {service.code for service in services}:
            raise NotFound()
        total = _TOTALS[msg.box]
        rows = []
        if code is not None:
            rows = await conn.fetch(
                f"SELECT {_LISTED}, ({total}) AS total FROM requests WHERE {_IN_BOX[msg.box]} "
                "ORDER BY urgency DESC, submitted_at, requests.id LIMIT $3 OFFSET $4",
                code,
                member,
                msg.per_page,
                (msg.page - 1) * msg.per_page,
            )
        if rows or code is None or msg.page == 1:
            count = rows[0]["total"] if rows else 0
        else:  # past the end (only the box `mine` names $2)
            count = await conn.fetchval(total, code, *((member,) if msg.box == "mine" else ()))
    return Written(
        {
            "services": [service.model_dump() for service in services],
            "service": code,
            "items": [_item(row) for row in rows],
            "total": count,
            "page": msg.page,
            "per_page": msg.per_page,
        }
    )


_IN_BOX = {box: f"service = $1 AND status <> 'draft' AND {condition}" for box, condition in BOXES.items()}
_TOTALS = {
    box: f"SELECT count(*) FROM requests WHERE {_IN_BOX[box]}"
    if box == "mine"
    else f"SELECT coalesce((SELECT requests FROM box_counts WHERE service = $1 AND box = '{box}'), 0)"
    for box in BOXES
}
_LISTED = (
    "id::text AS id, kind, subject, urgency, status, physician_name, patient::text AS patient, submitted_at, "
    "assigned_to IS NOT DISTINCT FROM $2 AS taken_by_me"
)
_ITEM_FIELDS = tuple(api.InboxItem.model_fields)


def _item(row: asyncpg.Record) -> dict[str, Any]:
    """An InboxItem's fields."""
    values = {name: row[name] for name in _ITEM_FIELDS}
    values["patient"] = None if row["patient"] is None else json.loads(row["patient"])
    return values


async def _theirs(conn: Connection, request_id: str, caller: Caller, lock: bool = False) -> asyncpg.Record:
    """A sent request of a service the member works; anything else is not found."""
    row = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM requests WHERE id = $1 AND status <> 'draft' AND service IN "
        f"(SELECT service FROM service_members WHERE account_id = $2){' FOR UPDATE' if lock else ''}",
        request_key(request_id),
        _staff(caller),
    )
    if row is None:
        raise NotFound()
    return row


async def open_request(msg: api.RequestRef, caller: Caller, deps: Deps) -> api.RequestDetail:
    async with deps.pool.acquire() as conn, snapshot(conn):
        return await with_thread(conn, detail(await _theirs(conn, msg.id, caller)))


async def step(msg: api.StaffStep, caller: Caller, deps: Deps) -> api.RequestDetail:
    """Take the request (in progress, mine) or close it."""
    async with deps.outbox.transaction() as conn:
        row = await _theirs(conn, msg.id, caller, lock=True)
        if row["status"] == "closed":
            raise InvalidRequest("status: the request is closed")
        status = "in_progress" if msg.step == "take" else "closed"
        taker = uuid.UUID(caller.account_id) if msg.step == "take" else None
        await conn.execute(
            "UPDATE requests SET status = $2, assigned_to = coalesce($3, assigned_to), updated_at = now() WHERE id = $1",
            request_key(msg.id),
            status,
            taker,
        )
        await _announce(conn, caller, msg.id, status, "request.status_changed")
        return await with_thread(conn, detail(await _theirs(conn, msg.id, caller)))


async def answer(msg: api.StaffAnswer, caller: Caller, deps: Deps) -> api.RequestDetail:
    """The member's answer (answered), or a question to the physician (information_needed), with
    its files."""
    files = attachments.message_keys(msg.attachments)
    async with deps.outbox.transaction() as conn:
        row = await _theirs(conn, msg.id, caller, lock=True)
        if row["status"] == "closed":
            raise InvalidRequest("status: the request is closed")
        now, message_id = datetime.now(UTC), uuid.uuid4()
        await conn.execute(
            "INSERT INTO thread_messages (id, request_id, author_kind, author, text, needs_reply, sent_at) "
            "VALUES ($1, $2, 'staff', $3, $4, $5, $6)",
            message_id,
            request_key(msg.id),
            caller.login or caller.account_id,
            msg.text,
            msg.needs_reply,
            now,
        )
        await attachments.take(conn, caller, files, request_key(msg.id), message_id)
        status = "information_needed" if msg.needs_reply else "answered"
        await conn.execute(
            "UPDATE requests SET status = $2, assigned_to = coalesce(assigned_to, $3), updated_at = $4, "
            "first_answer_at = coalesce(first_answer_at, $4) WHERE id = $1",
            request_key(msg.id),
            status,
            uuid.UUID(caller.account_id),
            now,
        )
        await answer_arrived(conn, request_key(msg.id))
        await _announce(conn, caller, msg.id, status, "request.answered")
        return await with_thread(conn, detail(await _theirs(conn, msg.id, caller)))


async def _announce(conn: Connection, caller: Caller, request_id: str, status: str, action: audit.Action) -> None:
    """The new status for the hospital (`portal.requests.status`, as its schema says), and the audit."""
    change = contract.StatusChange(
        event_id=uuid.uuid4().hex,
        request_id=request_id,
        status=status,
        changed_at=datetime.now(UTC),
        by=caller.login or caller.account_id,
    )
    await publish(conn, contract.STATUS_FROM_STAFF, change)
    await audited(conn, caller, action, audit.Entity(kind="request", id=request_id), status)
