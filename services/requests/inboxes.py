"""The services' inboxes (F3.4): a member of a service sees its sent requests, takes one, answers
it or asks the physician for more, and closes it. Every step is audited and published on
`portal.requests.status` (by the member's login); members of other services see nothing of it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

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

    One statement, and PostgreSQL writes the page's JSON (common/codec.py, Written; the gateway
    validates it as api.Inbox): the member's services, the page straight off the box's own index,
    the count kept in box_counts (migration 011; `mine`, a member's backlog, counted). As two
    statements whose rows Python turned into the page, it cost the service 0.53 ms of CPU a page
    and PostgreSQL 0.40 ms (reading the services cost as much as reading the page); now 0.19 and
    0.36 ms (`make bench`, 2026-12-02)."""
    member = _staff(caller)
    async with deps.pool.acquire() as conn:
        found = await conn.fetchrow(
            _PAGES[msg.box], msg.service, member, msg.per_page, (msg.page - 1) * msg.per_page, msg.page
        )
    if found is None or (msg.service is not None and found["service"] is None):  # (a SELECT without FROM: a row)
        raise NotFound()
    return Written.of_json(found["page"])


# $1 the service asked for (None: the member's first by name), $2 the member, $3 and $4 the page's
# size and offset, $5 its number. `shown` is empty when $1 is not one of the member's services.
_IN_BOX = {
    box: f"service = (SELECT code FROM shown) AND status <> 'draft' AND {condition}" for box, condition in BOXES.items()
}
_TOTALS = {
    box: f"SELECT count(*) FROM requests WHERE {_IN_BOX[box]}"
    if box == "mine"
    else f"coalesce((SELECT requests FROM box_counts WHERE service = (SELECT code FROM shown) AND box = '{box}'), 0)"
    for box in BOXES
}
_PAGES = {
    box: f"""
WITH theirs AS (
    SELECT code, name FROM services WHERE code IN (SELECT service FROM service_members WHERE account_id = $2)
), shown AS (
    SELECT code FROM theirs WHERE code = coalesce($1, (SELECT code FROM theirs ORDER BY name, code LIMIT 1))
), page AS (
    SELECT id, kind, subject, urgency, status, physician_name, patient, submitted_at, assigned_to FROM requests
    WHERE {_IN_BOX[box]} ORDER BY urgency DESC, submitted_at, id LIMIT $3 OFFSET $4
)
SELECT (SELECT code FROM shown) AS service, json_build_object(
    'services', (
        SELECT coalesce(json_agg(json_build_object('code', code, 'name', name) ORDER BY name, code), '[]')
        FROM theirs
    ),
    'service', (SELECT code FROM shown),
    'items', (
        SELECT coalesce(json_agg(json_build_object(
            'id', id, 'kind', kind, 'subject', subject, 'urgency', urgency, 'status', status,
            'physician_name', physician_name,
            'patient_name', (patient->>'family_name') || ' ' || (patient->>'given_name'),
            'submitted_at', submitted_at, 'taken_by_me', assigned_to IS NOT DISTINCT FROM $2
        ) ORDER BY urgency DESC, submitted_at, id), '[]')
        FROM page
    ),
    'total', ({_TOTALS[box]}),
    'page', $5::int,
    'per_page', $3::int
)::text AS page"""
    for box in BOXES
}


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
    files = attachments.checked_keys(msg.attachments)
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
