"""The validators' side of registration (F5.3 step 2): the queue of requests, a request's
details, the control SMS to the applicant's mobile and its code read back, and the signature.

Only validators and administrators see requests; to anyone else a request does not exist.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from asyncpg import Record
from pydantic import ValidationError

from common.contracts import notifications as notify
from common.contracts import registration as api
from common.db import Connection
from common.errors import Conflict, NotFound, TooManyRequests, Unauthenticated
from common.tokens import Caller

from . import control_codes, notices, store, trail
from .access import opaque_id, staff_account
from .codes import new_code
from .deps import Deps

log = logging.getLogger(__name__)

VALIDATOR_ROLES = frozenset({"validator", "admin"})
CONTROL_SENDS_PER_REQUEST = 3
CONTROL = control_codes.Kept(  # the fifth wrong code clears it: a new control SMS is needed
    table="registration_requests",
    purpose="control",
    columns=("control_code_mac", "control_sent_at", "control_attempts"),
    waiting="state = 'submitted'",
)

_SUMMARY = f"id::text, reference, state, family_name, given_name, {store.PHYSICIAN_NUMBER} AS number, submitted_at"


async def _validator(conn: Connection, deps: Deps, caller: Caller) -> store.Account:
    return await staff_account(conn, deps, caller, VALIDATOR_ROLES)


def _bound(value: str) -> str:
    """What a request's sealed values and codes are bound to: its id in canonical form."""
    return str(opaque_id(value))


async def queue(msg: api.QueueQuery, caller: Caller, deps: Deps) -> api.RequestQueue:
    """Requests in a state (oldest first), or all of them (newest first)."""
    async with deps.pool.acquire() as conn:
        await _validator(conn, deps, caller)
        if msg.state is None:
            rows = await conn.fetch(
                f"SELECT {_SUMMARY} FROM registration_requests ORDER BY submitted_at DESC LIMIT 500"
            )
        else:
            rows = await conn.fetch(
                f"SELECT {_SUMMARY} FROM registration_requests WHERE state = $1 ORDER BY submitted_at LIMIT 500",
                msg.state,
            )
    return api.RequestQueue(items=[api.RequestSummary(**dict(row)) for row in rows])


async def detail(msg: api.RequestRef, caller: Caller, deps: Deps) -> api.RequestDetail:
    async with deps.pool.acquire() as conn:
        await _validator(conn, deps, caller)
        row = await conn.fetchrow(
            f"SELECT {_SUMMARY}, street, address_extra, postcode, city, country, email, mobile, screening_access, "
            "signed_place, check_method, id_document_number, control_sent_at, control_confirmed_at, validator_name, "
            "validated_place, validated_at, login, login_created_by_name, login_created_at, "
            "id_copy_media_type, id_copy_size, id_copy_uploaded_at, id_copy_from_applicant, "
            "refusal_reason, refusal_note, refuser_name, refused_at "
            "FROM registration_requests WHERE id = $1",
            opaque_id(msg.id),
        )
    if row is None:
        raise NotFound()
    fields = dict(row)
    sealed = fields.pop("id_document_number")
    number = deps.sealer.open(bytes(sealed), f"id-document:{_bound(msg.id)}").decode() if sealed else None
    return api.RequestDetail(**fields, id_document_number=number)


async def send_control_sms(msg: api.RequestRef, caller: Caller, deps: Deps) -> api.RequestDetail:
    """A code to the applicant's mobile: read back to the validator, it proves the number is theirs."""
    code = new_code()
    async with deps.outbox.transaction() as conn:
        account = await _validator(conn, deps, caller)
        row = await conn.fetchrow(
            "SELECT mobile, locale, state, control_sends, control_sent_at > now() - $2::interval AS recent "
            "FROM registration_requests WHERE id = $1 FOR UPDATE",
            opaque_id(msg.id),
            control_codes.TTL,
        )
        if row is None:
            raise NotFound()
        if row["state"] != "submitted":
            raise Conflict("the request is no longer waiting for its identity check")
        if row["recent"] and row["control_sends"] >= CONTROL_SENDS_PER_REQUEST:
            raise TooManyRequests("too many control SMS; try again later")
        await conn.execute(
            "UPDATE registration_requests SET control_code_mac = $2, control_sent_at = now(), control_confirmed_at = NULL, "
            "control_attempts = 0, "
            "control_sends = CASE WHEN control_sent_at > now() - $3::interval THEN control_sends + 1 ELSE 1 END "
            "WHERE id = $1",
            opaque_id(msg.id),
            control_codes.mac(deps.settings.data_key, CONTROL, opaque_id(msg.id), code),
            control_codes.TTL,
        )
        await trail.record(conn, "registration.control_sent", by=account, entity=trail.registration(_bound(msg.id)))
        await notices.ask(
            conn,
            notify.SendCode(
                to=row["mobile"],
                purpose="registration_control",
                code=deps.settings.for_notify.seal(code),
                expires_at=datetime.now(UTC) + control_codes.TTL,
                locale=row["locale"],  # the form's language, the applicant's
            ),
        )
    return await detail(msg, caller, deps)


async def confirm_control(msg: api.ControlCode, caller: Caller, deps: Deps) -> api.RequestDetail:
    """The code the applicant read from their phone: right, the mobile number is confirmed."""
    ref = api.RequestRef(id=msg.id)
    async with deps.outbox.transaction() as conn:
        account = await _validator(conn, deps, caller)
        right = await control_codes.check(conn, deps.settings.data_key, CONTROL, opaque_id(msg.id), msg.code)
        if right:
            await conn.execute(
                "UPDATE registration_requests SET control_confirmed_at = now(), control_code_mac = NULL WHERE id = $1",
                opaque_id(msg.id),
            )
        await trail.record(
            conn,
            "registration.control_confirmed",
            by=account,
            entity=trail.registration(_bound(msg.id)),
            outcome="success" if right else "failure",
        )
    if not right:
        raise Unauthenticated("wrong or expired control code")
    return await detail(ref, caller, deps)


async def sign(msg: api.Validation, caller: Caller, deps: Deps) -> api.RequestDetail:
    """The validator signs the identity check: the request waits for its login."""
    ref = api.RequestRef(id=msg.id)
    async with deps.outbox.transaction() as conn:
        account = await _validator(conn, deps, caller)
        signed = await conn.fetchval(
            "UPDATE registration_requests SET state = 'validated', check_method = $2, id_document_number = $3, "
            "validated_by = $4, validator_name = $5, validated_place = $6, validated_at = now() "
            "WHERE id = $1 AND state = 'submitted' AND control_confirmed_at IS NOT NULL AND id_copy_uploaded_at IS NOT NULL RETURNING id",
            opaque_id(msg.id),
            msg.check_method,
            deps.sealer.seal(msg.id_document_number.encode(), f"id-document:{_bound(msg.id)}"),
            uuid.UUID(account.id),
            msg.validator_name,
            msg.place,
        )
        if signed is None:
            raise Conflict(
                "the mobile number is not confirmed, the ID copy is missing, or the request is no longer waiting"
            )
        await trail.record(conn, "registration.validated", by=account, entity=trail.registration(_bound(msg.id)))
    return await detail(ref, caller, deps)


async def refuse(msg: api.RequestRefusal, caller: Caller, deps: Deps) -> api.RequestDetail:
    """A validator refuses a request that has no login yet: the applicant is told why by email (the
    reason in notify's words, never the note), and may send a new form once it is settled."""
    async with deps.outbox.transaction() as conn:
        account = await _validator(conn, deps, caller)
        applicant = await conn.fetchrow(
            "UPDATE registration_requests SET state = 'refused', refusal_reason = $2, refusal_note = $3, "
            "refused_by = $4, refuser_name = $5, refused_at = now(), control_code_mac = NULL, "
            "applicant_copy_ticket = NULL "
            "WHERE id = $1 AND state IN ('submitted', 'validated') RETURNING reference, email, locale",
            opaque_id(msg.id),
            msg.reason,
            msg.note or None,
            uuid.UUID(account.id),
            account.display_name,
        )
        if applicant is None:
            known = await conn.fetchval("SELECT 1 FROM registration_requests WHERE id = $1", opaque_id(msg.id))
            raise Conflict("the request has its login already, or was refused") if known else NotFound()
        entity = trail.registration(_bound(msg.id))
        await trail.record(conn, "registration.refused", by=account, entity=entity, detail=f"reason: {msg.reason}")
        await _tell_refused(conn, applicant, msg.reason)
    return await detail(api.RequestRef(id=msg.id), caller, deps)


async def _tell_refused(conn: Connection, applicant: Record, reason: notify.RegistrationRefusalReason) -> None:
    """The applicant's email: the request's reference and the reason, in the form's language."""
    try:
        notice = notify.SendEmailNotice(
            to=applicant["email"],
            kind="registration_refused",
            locale=applicant["locale"],
            refusal=notify.Refusal(reference=applicant["reference"], reason=reason),
        )
    except ValidationError:
        log.warning("registration refused: the applicant's email address is not one, not told")
        return
    await notices.ask(conn, notice)
