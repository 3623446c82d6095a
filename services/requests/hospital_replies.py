"""What the hospital's systems write in a request's thread (`dpi.requests.status`,
`dpi.requests.answer`, contract 1.1): a status, an answer or a question. Both ways live side by
side with the staff's own in one thread. A request the portal does not have (or a draft, which
the hospital never saw) is a rejection, as the contract says of an unknown `request_id`."""

from __future__ import annotations

import uuid

from common import rejections
from common.contracts import hospital_requests as contract
from common.db import Connection
from common.sealed.checks import InvalidContent

from . import attachments
from .directory import Deps
from .trail import answer_arrived

UNKNOWN_REQUEST = "request_id: no such request"


async def _sent_request(conn: Connection, request_id: str) -> uuid.UUID | None:
    """The request, held, if it exists and was sent (a draft is no request to the hospital)."""
    try:
        key = uuid.UUID(request_id)
    except ValueError:
        return None
    found = await conn.fetchval("SELECT id FROM requests WHERE id = $1 AND status <> 'draft' FOR UPDATE", key)
    return found if isinstance(found, uuid.UUID) else None


async def status_received(message: contract.StatusChange, deps: Deps) -> None:
    async with deps.outbox.transaction() as conn:
        request = await _sent_request(conn, message.request_id)
        if request is None:
            await rejections.reject(conn, "requests", contract.STATUS_FROM_HOSPITAL, message.event_id, UNKNOWN_REQUEST)
            return
        await conn.execute(
            "UPDATE requests SET status = $2, updated_at = greatest(updated_at, $3) WHERE id = $1",
            request,
            message.status,
            message.changed_at,
        )


async def answer_received(message: contract.HospitalAnswer, deps: Deps) -> None:
    """Kept once (by the hospital's message id) with its files, sealed; the status becomes
    `answered`, or `information_needed` when it asks the physician something. A file that is not
    what the answer says (type, size, digest, a missing object) rejects the whole answer."""
    try:
        reason = await _keep_answer(message, deps)
    except InvalidContent as bad:
        reason = str(bad)
    if reason is not None:
        async with deps.outbox.transaction() as conn:
            await rejections.reject(conn, "requests", contract.ANSWER, message.event_id, reason)


async def _keep_answer(message: contract.HospitalAnswer, deps: Deps) -> str | None:
    """Why the answer cannot be kept (it is then kept in no part), or None once it is."""
    async with deps.outbox.transaction() as conn:
        request = await _sent_request(conn, message.request_id)
        if request is None:
            return UNKNOWN_REQUEST
        kept = await conn.fetchval(
            "INSERT INTO thread_messages (id, request_id, author_kind, author, text, needs_reply, sent_at, external_id) "
            "VALUES ($1, $2, 'hospital', $3, $4, $5, $6, $7) ON CONFLICT (external_id) DO NOTHING RETURNING id",
            uuid.uuid4(),
            request,
            message.message.author,
            message.message.text,
            message.needs_reply,
            message.message.sent_at,
            message.message.id,
        )
        if kept is None:
            return None  # this answer was kept already
        await attachments.from_the_hospital(conn, deps, request, kept, message.attachments)
        await conn.execute(
            "UPDATE requests SET status = $2, updated_at = now(), first_answer_at = coalesce(first_answer_at, $3) "
            "WHERE id = $1",
            request,
            "information_needed" if message.needs_reply else "answered",
            message.message.sent_at,
        )
        await answer_arrived(conn, request)
    return None
