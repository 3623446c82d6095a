"""Registration for SMS login (F5.3): a physician's request, from the public form onwards.

One account, one physician: a GLN or RPPS number that already has an account or a request in
progress gets no new request (also when two forms race: the database's unique indexes decide).
The public form must not tell anyone whether a number is known: such a form gets the same answer
as a new request (a reference, which names nothing), after comparable work (one lookup, two
messages enqueued), and the owner of the account (or of the request in progress) is told by
email instead, in their language. Every form counts towards its address's limit.
"""

from __future__ import annotations

import logging
import secrets
import uuid

import asyncpg
from pydantic import ValidationError

from common.contracts import notifications as notify
from common.contracts import registration as api
from common.db import Connection
from common.errors import TooManyRequests

from . import login_protection as protection
from . import notices, trail
from .deps import Deps

log = logging.getLogger(__name__)

# The reference's alphabet: no 0/O, 1/I/L, read out on the phone.
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference() -> str:
    code = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"R-{code[:4]}-{code[4:]}"


async def submit(msg: api.RegistrationSubmission, deps: Deps) -> api.RegistrationReceived:
    """Keep a new request, in the state 'submitted', for the validators' queue; or, for a known
    number, tell its owner. The answer is the same."""
    async with deps.outbox.connection() as conn:
        if not await protection.reserve_registration(conn, msg.client_ip):
            raise TooManyRequests("too many attempts; try again later")
        # A copy's ticket, also for a known number (its parts are then kept nowhere): the same answer.
        ticket = uuid.uuid4() if msg.id_copy else None
        try:
            async with conn.transaction():
                reference = await _keep_or_tell_owner(conn, msg, ticket)
        except asyncpg.UniqueViolationError:  # a form with the same number was kept meanwhile
            async with conn.transaction():
                reference = await _keep_or_tell_owner(conn, msg, ticket)
    return api.RegistrationReceived(reference=reference, id_copy_ticket=str(ticket) if ticket else None)


async def _keep_or_tell_owner(conn: Connection, msg: api.RegistrationSubmission, ticket: uuid.UUID | None) -> str:
    form, reference = msg.form, new_reference()
    column, number = ("gln", form.gln) if form.gln else ("rpps", form.rpps)
    owner = await conn.fetchrow(
        f"SELECT id::text AS account_id, NULL AS request_id, email, locale FROM accounts WHERE {column} = $1 "
        f"UNION ALL SELECT NULL, id::text, email, locale FROM registration_requests WHERE {column} = $1 "
        "AND state IN ('submitted', 'validated') LIMIT 1",
        number,
    )
    if owner is not None:
        await _tell_owner(conn, owner, msg.client_ip)
        return reference  # names no request: the same answer as for a new one
    request_id = str(uuid.uuid4())
    await conn.execute(
        "INSERT INTO registration_requests (id, reference, family_name, given_name, street, address_extra, "
        "postcode, city, country, email, mobile, gln, rpps, screening_access, signed_place, client_ip, locale, "
        "applicant_copy_ticket) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        uuid.UUID(request_id),
        reference,
        form.family_name,
        form.given_name,
        form.street,
        form.address_extra,
        form.postcode,
        form.city,
        form.country,
        str(form.email),
        form.mobile,
        form.gln,
        form.rpps,
        form.screening_access,
        form.signed_place,
        msg.client_ip,
        msg.locale,
        ticket,
    )
    await trail.record(
        conn, "registration.submitted", by=None, entity=trail.registration(request_id), client_ip=msg.client_ip
    )
    return reference


async def _tell_owner(conn: Connection, owner: asyncpg.Record, client_ip: str) -> None:
    """The number's account (or request in progress) gets an email; the attempt is audited as refused."""
    account_id, request_id = owner["account_id"], owner["request_id"]
    try:
        notice = notify.SendEmailNotice(
            to=owner["email"], kind="registration_attempt", locale=owner["locale"] or "fr", account_id=account_id
        )
    except ValidationError:
        log.warning("registration with a known number: its owner's email address is not one, not told")
    else:
        # Once a day at most: forms sent again and again must not flood the owner's mailbox.
        if await protection.once_a_day(conn, f"told:{account_id or request_id}"):
            await notices.ask(conn, notice)
    await trail.record(
        conn,
        "registration.submitted",
        by=None,
        entity=trail.account(account_id) if account_id else trail.registration(request_id),
        outcome="failure",
        client_ip=client_ip,
        detail="the number has an account or a request in progress: its owner is told by email",
    )
