"""F4 and F11 for administrators: the catalogue of secure applications and the enrolments.
Administrators only; to anyone else none of it exists."""

from __future__ import annotations

import uuid

import asyncpg

from common.contracts import applications as api
from common.contracts.base import Empty
from common.db import fetch_one
from common.errors import Conflict, InvalidRequest, NotFound
from common.tokens import Caller

from . import store, trail
from .access import opaque_id, staff_account
from .applications import COLUMNS
from .deps import Deps

_APPLICATION = f"id::text, {', '.join(COLUMNS)}"
_INSERT = (
    f"INSERT INTO applications (id, {', '.join(COLUMNS)}) "
    f"VALUES ($1, {', '.join(f'${n}' for n in range(2, len(COLUMNS) + 2))}) RETURNING id::text"
)
_UPDATE = (
    f"UPDATE applications SET {', '.join(f'{column} = ${n}' for n, column in enumerate(COLUMNS, 2))}, "
    "updated_at = now() WHERE id = $1 RETURNING id::text"
)
_RECENT_DECISIONS = 200
_ENROLMENT = (
    "e.application_id::text, a.name AS application_name, e.account_id::text, p.family_name, p.given_name, "
    f"{store.PHYSICIAN_NUMBER} AS number, "  # gln and rpps: only accounts have them
    "e.state, e.requested_at, e.decided_at, e.decided_by_name"
)
_ENROLMENT_JOINS = "JOIN applications a ON a.id = e.application_id JOIN accounts p ON p.id = e.account_id"


async def admin_list(msg: Empty, caller: Caller, deps: Deps) -> api.AdminCatalogue:
    """Every application; the enrolments waiting (oldest first), then the latest decisions."""
    async with deps.pool.acquire() as conn:
        await staff_account(conn, deps, caller, ("admin",))
        applications = await conn.fetch(f"SELECT {_APPLICATION} FROM applications ORDER BY name, id")
        enrolments = await conn.fetch(
            "WITH chosen AS ("
            " (SELECT application_id, account_id, 0 AS rank FROM application_enrolments WHERE state = 'requested')"
            " UNION ALL (SELECT application_id, account_id, 1 FROM application_enrolments WHERE state <> 'requested'"
            f" ORDER BY decided_at DESC LIMIT {_RECENT_DECISIONS})"
            f") SELECT {_ENROLMENT} FROM chosen c JOIN application_enrolments e USING (application_id, account_id) "
            f"{_ENROLMENT_JOINS} ORDER BY c.rank, CASE WHEN c.rank = 0 THEN e.requested_at END, e.decided_at DESC",
        )
    return api.AdminCatalogue(
        applications=[api.Application(**dict(row)) for row in applications],
        enrolments=[api.Enrolment(**dict(row)) for row in enrolments],
    )


async def save(msg: api.ApplicationSave, caller: Caller, deps: Deps) -> api.Application:
    """Create (no id) or change an application; its identifier stays unique."""
    fields = msg.model_dump(exclude={"session", "id"})
    if deps.settings.service.environment == "prod" and not fields["url"].startswith("https://"):
        raise InvalidRequest(api.HTTPS_ONLY)  # a loopback address names the physician's own machine
    try:
        async with deps.outbox.transaction() as conn:
            admin = await staff_account(conn, deps, caller, ("admin",))
            values = [fields[column] for column in COLUMNS]
            if msg.id is None:
                app_id = await conn.fetchval(_INSERT, uuid.uuid4(), *values)
            elif (app_id := await conn.fetchval(_UPDATE, opaque_id(msg.id), *values)) is None:
                raise NotFound()
            what = ", ".join(
                f"{name}={fields[name]}"
                for name in ("slug", "url", "needs_enrolment", "active", "asked_at_registration")
            )
            await trail.record(conn, "application.saved", by=admin, entity=trail.application(app_id), detail=what[:500])
    except asyncpg.UniqueViolationError:
        raise Conflict(api.SLUG_TAKEN) from None
    return api.Application(id=app_id, **fields)


async def decide(msg: api.Decision, caller: Caller, deps: Deps) -> api.Enrolment:
    """Grant or refuse an enrolment (refusing a granted one withdraws it)."""
    async with deps.outbox.transaction() as conn:
        admin = await staff_account(conn, deps, caller, ("admin",))
        found = await conn.fetchval(
            "UPDATE application_enrolments SET state = $3, decided_at = now(), decided_by = $4, decided_by_name = $5 "
            "WHERE application_id = $1 AND account_id = $2 RETURNING 1",
            opaque_id(msg.application_id),
            opaque_id(msg.account_id),
            "granted" if msg.grant else "refused",
            uuid.UUID(admin.id),
            admin.display_name,
        )
        if found is None:
            raise NotFound()
        await trail.record(
            conn,
            "application.enrolment_granted" if msg.grant else "application.enrolment_refused",
            by=admin,
            entity=trail.application(str(opaque_id(msg.application_id))),
            detail=f"account {opaque_id(msg.account_id)}",
        )
        row = await fetch_one(
            conn,
            f"SELECT {_ENROLMENT} FROM application_enrolments e {_ENROLMENT_JOINS} "
            "WHERE e.application_id = $1 AND e.account_id = $2",
            opaque_id(msg.application_id),
            opaque_id(msg.account_id),
        )
    return api.Enrolment(**dict(row))
