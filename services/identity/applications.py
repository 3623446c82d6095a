"""F4 for physicians: the catalogue of secure applications, asking to enrol, and opening one.

Opening an application the physician may open answers a signed assertion of who they are (see
assertions.py); an application the physician may not open, an inactive or unknown one, is not
found. Only physicians have a catalogue.
"""

from __future__ import annotations

import uuid

import asyncpg

from common.contracts import applications as api
from common.contracts.base import Empty
from common.db import Connection
from common.errors import Conflict, NotFound
from common.tokens import Caller

from . import store, trail
from .access import opaque_id, session_account
from .deps import Deps

COLUMNS = tuple(api.ApplicationFields.model_fields)
"""An application's columns, named as its contract's fields."""

_ENTRY = (
    f"SELECT a.id::text, {', '.join('a.' + column for column in COLUMNS)}, e.state "
    "FROM applications a LEFT JOIN application_enrolments e ON e.application_id = a.id AND e.account_id = $1 "
    "WHERE a.active"
)


def _entry(row: asyncpg.Record) -> api.CatalogueEntry:
    values = dict(row)
    state = values.pop("state")
    access = "open" if not values["needs_enrolment"] or state == "granted" else (state or "enrol")
    return api.CatalogueEntry(**values, access=access)


async def _physician(conn: Connection, deps: Deps, caller: Caller) -> store.Account:
    _, account = await session_account(conn, deps, caller)
    if account.role != "physician":
        raise NotFound()
    return account


async def catalogue(msg: Empty, caller: Caller, deps: Deps) -> api.Catalogue:
    async with deps.pool.acquire() as conn:
        account = await _physician(conn, deps, caller)
        rows = await conn.fetch(f"{_ENTRY} ORDER BY a.name, a.id", uuid.UUID(account.id))
    return api.Catalogue(applications=[_entry(row) for row in rows])


async def _one(conn: Connection, account: store.Account, app_id: str) -> api.CatalogueEntry:
    row = await conn.fetchrow(f"{_ENTRY} AND a.id = $2", uuid.UUID(account.id), opaque_id(app_id))
    if row is None:
        raise NotFound()
    return _entry(row)


async def enrol(msg: api.ApplicationRef, caller: Caller, deps: Deps) -> api.CatalogueEntry:
    """Ask to be enrolled (again, after a refusal); an administrator decides."""
    async with deps.outbox.transaction() as conn:
        account = await _physician(conn, deps, caller)
        entry = await _one(conn, account, msg.id)
        if entry.access != "enrol" and entry.access != "refused":
            raise Conflict("nothing to ask: already open or asked")
        await conn.execute(
            "INSERT INTO application_enrolments (application_id, account_id, state) VALUES ($1, $2, 'requested') "
            "ON CONFLICT (application_id, account_id) DO UPDATE SET state = 'requested', requested_at = now(), "
            "decided_at = NULL, decided_by = NULL, decided_by_name = NULL WHERE application_enrolments.state = 'refused'",
            uuid.UUID(entry.id),
            uuid.UUID(account.id),
        )
        await trail.record(conn, "application.enrolment_requested", by=account, entity=trail.application(entry.id))
    return entry.model_copy(update={"access": "requested"})


async def open_application(msg: api.ApplicationRef, caller: Caller, deps: Deps) -> api.Opening:
    """The assertion for an application the physician may open: who they are, for 60 seconds."""
    async with deps.outbox.transaction() as conn:
        account = await _physician(conn, deps, caller)
        entry = await _one(conn, account, msg.id)
        if entry.access != "open":
            raise NotFound()
        claims = {
            "given_name": account.given_name,
            "family_name": account.family_name,
            "email": account.email,
            **({"gln": account.gln} if account.gln else {}),
            **({"rpps": account.rpps} if account.rpps else {}),
        }
        signed = deps.signer.sign(entry.slug, account.id, claims)
        await trail.record(
            conn, "application.opened", by=account, entity=trail.application(entry.id), detail=f"assertion {signed.jti}"
        )
    return api.Opening(name=entry.name, url=entry.url, assertion=signed.token, expires_at=signed.expires_at)


async def public_keys(msg: Empty, deps: Deps) -> api.PublicKeys:
    return api.PublicKeys(keys=deps.signer.jwks())


async def enrol_from_registration(conn: Connection, account_id: str) -> None:
    """In the login creation's transaction: the registration form's screening box becomes
    enrolment requests for the applications it stands for (an administrator decides each)."""
    asked = await conn.fetch(
        "INSERT INTO application_enrolments (application_id, account_id, state) "
        "SELECT id, $1, 'requested' FROM applications WHERE active AND needs_enrolment AND asked_at_registration "
        "ON CONFLICT (application_id, account_id) DO NOTHING RETURNING application_id::text",
        uuid.UUID(account_id),
    )
    for row in asked:
        await trail.record(
            conn,
            "application.enrolment_requested",
            by=trail.actor(account_id, "physician"),
            entity=trail.application(row["application_id"]),
            detail="asked on the registration form",
        )
