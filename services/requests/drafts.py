"""A physician's requests: drafts saved as often as they like, then submitted once, after which
a request is never changed (F3.1, F3.2). Only its physician ever sees it; anyone else's, a missing
one and a bad token all answer not found."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import asyncpg
from asyncpg.transaction import Transaction

from common.bus import call
from common.contracts import audit, documents, identity
from common.contracts import hospital_requests as contract
from common.contracts import requests as api
from common.contracts.base import Empty
from common.contracts.hospital import Patient
from common.contracts.physicians import PhysicianRef
from common.contracts.schemas import draft_fields_problems, fields_problems
from common.db import Connection
from common.errors import InvalidRequest, NotFound
from common.search import contains_pattern, search_form
from common.tokens import Caller

from . import attachments
from .directory import Deps
from .trail import audited, publish

COLUMNS = (
    "id::text AS id, kind, service, (SELECT name FROM services WHERE code = requests.service) AS service_name, "
    "domain, board, subject, urgency, fields::text AS fields, patient::text AS patient, "
    "my_patient::text AS my_patient, status, created_at, updated_at, submitted_at, first_answer_at, answer_unread"
)


def _physician(caller: Caller) -> str:
    """The caller's physician key; anyone else has no requests (not found, as for a stranger's)."""
    if caller.role != "physician" or not caller.physician:
        raise NotFound()
    return caller.physician


def detail(row: asyncpg.Record) -> api.RequestDetail:
    patient = json.loads(row["patient"]) if row["patient"] else None
    return api.RequestDetail(**{**dict(row), "fields": json.loads(row["fields"]), "patient": patient})


def request_key(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound() from None


async def _own(conn: Connection, request_id: str, caller: Caller, lock: bool = False) -> asyncpg.Record:
    row = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM requests WHERE id = $1 AND account_id = $2{' FOR UPDATE' if lock else ''}",
        request_key(request_id),
        uuid.UUID(caller.account_id),
    )
    if row is None:
        raise NotFound()
    return row


async def _check_service(conn: Connection, draft: api.Draft) -> None:
    """The service takes this kind of request (and runs the board named); the fields follow the
    kind's form as far as they go."""
    service = await conn.fetchrow(
        "SELECT accepts, boards::text AS boards, active FROM services WHERE code = $1", draft.service
    )
    if service is None or not service["active"] or draft.kind not in service["accepts"]:
        raise InvalidRequest("service: does not take this kind of request")
    boards = {board["code"] for board in json.loads(service["boards"])}
    if (draft.board is not None) != (draft.kind == "tumor_board") or (draft.board and draft.board not in boards):
        raise InvalidRequest("board: not one of the service's tumor boards")
    problems = draft_fields_problems(draft.kind, draft.fields)
    if problems:
        raise InvalidRequest(f"fields: {problems}")


async def chosen_patient(deps: Deps, caller: Caller, my_patient: str) -> Patient:
    """The patient the physician chose among Mes patients, as the documents service describes them
    (the hospital's id), if they are the physician's: the gateway's word is not taken for it."""
    lookup = documents.PatientLookup(account_id=caller.account_id, patient=my_patient)
    try:
        return await call(deps.nc, documents.FIND_PATIENT, lookup)
    except NotFound:
        raise InvalidRequest("my_patient: not one of your patients") from None


async def save_draft(msg: api.Draft, caller: Caller, deps: Deps) -> api.RequestDetail:
    """A new draft, or the physician's draft saved again (a submitted request is not a draft)."""
    physician = _physician(caller)
    chosen = None if msg.my_patient is None else await chosen_patient(deps, caller, msg.my_patient)
    patient = msg.patient if chosen is None else chosen
    names = "" if patient is None else search_form(f"{patient.family_name} {patient.given_name}")
    async with deps.outbox.transaction() as conn:
        await _check_service(conn, msg)
        values = (
            msg.kind,
            msg.service,
            msg.domain,
            msg.board,
            msg.subject,
            msg.urgency,
            json.dumps(msg.fields),
            None if patient is None else patient.model_dump_json(),
            names,
            None if chosen is None else uuid.UUID(msg.my_patient),
        )
        if msg.id is None:
            row = await conn.fetchrow(
                "INSERT INTO requests (id, account_id, physician, kind, service, domain, board, subject, urgency, "
                "fields, patient, patient_search, my_patient) "
                f"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12, $13) RETURNING {COLUMNS}",
                uuid.uuid4(),
                uuid.UUID(caller.account_id),
                physician,
                *values,
            )
        else:
            if (await _own(conn, msg.id, caller, lock=True))["status"] != "draft":
                raise InvalidRequest("submitted: a submitted request is never changed")
            row = await conn.fetchrow(
                "UPDATE requests SET kind = $2, service = $3, domain = $4, board = $5, subject = $6, urgency = $7, "
                "fields = $8::jsonb, patient = $9::jsonb, patient_search = $10, my_patient = $11, updated_at = now() "
                f"WHERE id = $1 RETURNING {COLUMNS}",
                request_key(msg.id),
                *values,
            )
        assert row is not None
        if msg.attachments is not None:
            await attachments.set_draft_files(conn, caller, request_key(row["id"]), msg.attachments)
        return await with_thread(conn, detail(row))


async def submit(msg: api.RequestRef, caller: Caller, deps: Deps) -> api.RequestDetail:
    """The draft, complete, goes to the service: published on `portal.requests.submitted` (checked
    against its JSON Schema) and audited, in one transaction with its new status."""
    physician = PhysicianRef.from_key(_physician(caller))
    names = await call(deps.nc, identity.FIND_CONTACT, identity.ContactLookup(physician=caller.physician or ""))
    async with deps.pool.acquire() as conn:
        my_patient = (await _own(conn, msg.id, caller))["my_patient"]
    # A patient chosen among Mes patients is sent as the hospital describes them now, if still the physician's.
    chosen = None if my_patient is None else await chosen_patient(deps, caller, my_patient)
    async with deps.outbox.transaction() as conn:
        row = await _own(conn, msg.id, caller, lock=True)
        if row["status"] != "draft":
            raise InvalidRequest("submitted: a submitted request is never changed")
        if row["my_patient"] != my_patient:
            raise InvalidRequest("my_patient: changed while sending; send again")
        found = detail(row)
        draft = api.Draft(**found.model_dump(include=set(api.Draft.model_fields) - {"patient"}))
        patient = found.patient if chosen is None else chosen
        await _check_service(conn, draft)
        problems = fields_problems(draft.kind, draft.fields)
        if problems:
            raise InvalidRequest(f"fields: {problems}")
        if not draft.subject:
            raise InvalidRequest("subject: required")
        if patient is None and draft.kind != "message":  # only a message may concern no patient
            raise InvalidRequest("patient: required")
        now = datetime.now(UTC)
        request = contract.Request(
            id=str(row["id"]),
            kind=draft.kind,
            service=draft.service,
            domain=draft.domain,
            board=draft.board,
            subject=draft.subject,
            urgency=draft.urgency,
            submitted_at=now,
            fields=dict(draft.fields),
        )
        submitted = contract.SubmittedRequest(
            event_id=uuid.uuid4().hex,
            request=request,
            patient=patient,
            physician=contract.named_physician(physician, names.family_name, names.given_name),
            attachments=await attachments.for_the_hospital(conn, deps, request_key(msg.id), None),
        )
        updated = await conn.fetchrow(
            "UPDATE requests SET status = 'submitted', submitted_at = $2, updated_at = $2, physician_name = $3, "
            f"patient = $4::jsonb WHERE id = $1 RETURNING {COLUMNS}",
            request_key(msg.id),
            now,
            f"{names.given_name} {names.family_name}".strip(),
            None if patient is None else patient.model_dump_json(),
        )
        await publish(conn, contract.SUBMITTED, submitted)
        entity = audit.Entity(kind="request", id=msg.id)
        await audited(conn, caller, "request.submitted", entity, f"{draft.kind} to {draft.service}")
        assert updated is not None
        return await with_thread(conn, detail(updated))


async def get_request(msg: api.RequestRef, caller: Caller, deps: Deps) -> api.RequestDetail:
    """One of the physician's requests, with its thread; its answers are read now. An answer that
    arrived after the thread was read leaves it unread (the request changed since: not cleared)."""
    _physician(caller)
    async with deps.pool.acquire() as conn:
        async with snapshot(conn):
            found = await with_thread(conn, detail(await _own(conn, msg.id, caller)))
        if found.answer_unread:
            await conn.execute(
                "UPDATE requests SET answer_unread = false WHERE id = $1 AND updated_at = $2",
                request_key(found.id),
                found.updated_at,
            )
    return found


async def unread_answers(msg: Empty, caller: Caller, deps: Deps) -> api.UnreadAnswers:
    """How many of the physician's requests have an answer they have not opened (the navigation's count)."""
    _physician(caller)
    async with deps.pool.acquire() as conn:
        count = await conn.fetchval(
            "SELECT count(*) FROM requests WHERE account_id = $1 AND answer_unread", uuid.UUID(caller.account_id)
        )
    return api.UnreadAnswers(requests=count)


def snapshot(conn: Connection) -> Transaction:
    """One consistent view of a request and its thread: read apart, an answer committed between
    the two reads showed in the thread beside the status from before it."""
    return conn.transaction(isolation="repeatable_read", readonly=True)


async def with_thread(conn: Connection, found: api.RequestDetail) -> api.RequestDetail:
    """The request with its files and its thread, oldest first."""
    rows = await conn.fetch(
        "SELECT id, author_kind, author, text, needs_reply, sent_at FROM thread_messages WHERE request_id = $1 "
        "ORDER BY sent_at, id",
        uuid.UUID(found.id),
    )
    files = await attachments.listed(conn, uuid.UUID(found.id))
    messages = [
        api.ThreadMessage(
            **{name: row[name] for name in row.keys() if name != "id"}, attachments=files.get(row["id"], [])
        )
        for row in rows
    ]
    return found.model_copy(update={"attachments": files.get(None, []), "messages": messages})


async def my_requests(msg: api.ListMyRequests, caller: Caller, deps: Deps) -> api.MyRequests:
    """One page of the physician's requests and drafts, the latest changed first, filtered as asked;
    with how many match, and the services of all their requests (the service filter's choices)."""
    _physician(caller)
    words = [contains_pattern(word) for word in (msg.patient or "").split()] or None
    filters = (
        uuid.UUID(caller.account_id),
        msg.status,
        msg.kind,
        msg.service,
        words,
        None if msg.period is None else PERIODS[msg.period],
    )
    async with deps.pool.acquire() as conn, snapshot(conn):
        total = await conn.fetchval(f"SELECT count(*) FROM requests WHERE {_MINE}", *filters)
        rows = await conn.fetch(
            f"SELECT {COLUMNS} FROM requests WHERE {_MINE} ORDER BY updated_at DESC, id LIMIT $7 OFFSET $8",
            *filters,
            msg.per_page,
            (msg.page - 1) * msg.per_page,
        )
        services = await conn.fetch(
            "SELECT code, name FROM services WHERE code IN (SELECT service FROM requests WHERE account_id = $1) "
            "ORDER BY name, code",
            uuid.UUID(caller.account_id),
        )
    return api.MyRequests(
        items=[detail(row) for row in rows],
        total=total,
        page=msg.page,
        per_page=msg.per_page,
        services=[api.ServiceChoice(**dict(row)) for row in services],
    )


# ListMyRequests' filters; an empty one ($n NULL) keeps every row. The patient: each word's pattern.
_MINE = (
    "account_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR kind = $3) "
    "AND ($4::text IS NULL OR service = $4) AND ($5::text[] IS NULL OR patient_search LIKE ALL ($5)) "
    "AND ($6::text IS NULL OR updated_at >= now() - cast($6::text AS interval))"
)
PERIODS: dict[str, str] = {"30d": "30 days", "3m": "3 months", "12m": "12 months"}
"""Each period as a PostgreSQL interval: what its label says, calendar months included."""


async def reply(msg: api.PhysicianReply, caller: Caller, deps: Deps) -> api.RequestDetail:
    """The physician writes in a sent request's thread: published on `portal.requests.message`
    (as its schema says) and audited; the request goes back to its service (in progress if someone
    took it, else sent)."""
    _physician(caller)
    files = attachments.checked_keys(msg.attachments)
    async with deps.outbox.transaction() as conn:
        row = await _own(conn, msg.id, caller, lock=True)
        if row["status"] in ("draft", "closed"):
            raise InvalidRequest("status: only a sent, open request takes a message")
        now, message_id = datetime.now(UTC), uuid.uuid4()
        await conn.execute(
            "INSERT INTO thread_messages (id, request_id, author_kind, author, text, sent_at) "
            "SELECT $1, id, 'physician', physician_name, $2, $3 FROM requests WHERE id = $4",
            message_id,
            msg.text,
            now,
            request_key(msg.id),
        )
        await attachments.take(conn, caller, files, request_key(msg.id), message_id)
        await conn.execute(
            "UPDATE requests SET status = CASE WHEN assigned_to IS NULL THEN 'submitted' ELSE 'in_progress' END, "
            "updated_at = $2 WHERE id = $1",
            request_key(msg.id),
            now,
        )
        sent = contract.PhysicianMessage(
            event_id=uuid.uuid4().hex,
            request_id=msg.id,
            message=contract.PhysicianMessageText(id=str(message_id), text=msg.text, sent_at=now),
            attachments=await attachments.for_the_hospital(conn, deps, request_key(msg.id), message_id),
        )
        await publish(conn, contract.PHYSICIAN_MESSAGE, sent)
        await audited(conn, caller, "request.message_sent", audit.Entity(kind="request", id=msg.id))
        return await with_thread(conn, detail(await _own(conn, msg.id, caller)))
