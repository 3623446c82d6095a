"""Registration for SMS login (F5.3): a physician's request, from the public form onwards.

One account, one physician: a GLN or RPPS number that already has an account or a request in
progress is refused (also when two forms race: the database's unique indexes decide).
"""

from __future__ import annotations

import secrets
import uuid

import asyncpg

from common.contracts import registration as api
from common.db import Connection
from common.errors import Conflict, TooManyRequests

from . import login_protection as protection
from . import trail
from .deps import Deps

# The reference's alphabet: no 0/O, 1/I/L, read out on the phone.
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference() -> str:
    code = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"R-{code[:4]}-{code[4:]}"


async def submit(msg: api.RegistrationSubmission, deps: Deps) -> api.RegistrationReceived:
    """Keep a new request, in the state 'submitted', for the validators' queue."""
    form, request_id, reference = msg.form, str(uuid.uuid4()), new_reference()
    async with deps.outbox.connection() as conn:
        if not await protection.reserve_registration(conn, msg.client_ip):
            raise TooManyRequests("too many attempts; try again later")
        try:
            async with conn.transaction():
                if await _number_has_account(conn, form):
                    raise Conflict(api.ALREADY_KNOWN)
                await conn.execute(
                    "INSERT INTO registration_requests (id, reference, family_name, given_name, street, address_extra, "
                    "postcode, city, country, email, mobile, gln, rpps, screening_access, signed_place, client_ip) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
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
                )
                await trail.record(
                    conn,
                    "registration.submitted",
                    by=None,
                    entity=trail.registration(request_id),
                    client_ip=msg.client_ip,
                )
        except asyncpg.UniqueViolationError:
            raise Conflict(api.ALREADY_KNOWN) from None
    return api.RegistrationReceived(reference=reference)


async def _number_has_account(conn: Connection, form: api.RegistrationForm) -> bool:
    column, number = ("gln", form.gln) if form.gln else ("rpps", form.rpps)
    return bool(await conn.fetchval(f"SELECT 1 FROM accounts WHERE {column} = $1", number))
