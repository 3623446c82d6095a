"""The directory of the hospital's services that receive requests, as the hospital publishes it
(`dpi.services`). A change older than the one kept (an administrator's, or a message delivered
late) changes nothing: the latest wins, whoever made it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from common import rejections
from common.contracts import audit
from common.contracts import hospital_requests as contract
from common.contracts import requests as api
from common.db import Connection
from common.errors import Conflict, Forbidden
from common.outbox import OutboxRelay
from common.sealed.keys import MasterKeys
from common.tokens import Caller

from .trail import audited

CONSUMER = "requests"  # the durable consumer of the DPI stream's requests subjects


@dataclass(frozen=True)
class Deps:
    pool: asyncpg.Pool
    outbox: OutboxRelay
    nc: NATS
    js: JetStreamContext
    master_keys: MasterKeys = field(repr=False)


async def service_received(message: contract.ServiceMessage, deps: Deps) -> None:
    """Upsert the service by its code, unless a later change of it is already kept."""
    async with deps.outbox.transaction() as conn:
        await _keep(conn, message.service, message.recorded_at, "hospital")


async def _keep(conn: Connection, service: contract.Service, changed_at: datetime, by: str) -> asyncpg.Record | None:
    """The service as kept now; None if a later change of it was kept already."""
    return await conn.fetchrow(
        "INSERT INTO services (code, name, domain, accepts, boards, active, changed_at, changed_by) "
        "VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8) "
        "ON CONFLICT (code) DO UPDATE SET name = $2, domain = $3, accepts = $4, boards = $5::jsonb, "
        " active = $6, changed_at = $7, changed_by = $8 WHERE services.changed_at <= $7 "
        f"RETURNING {LISTED}",
        service.code,
        service.name,
        service.domain,
        list(service.accepts),
        json.dumps([board.model_dump() for board in service.boards]),
        service.active,
        changed_at,
        by,
    )


def administrator(caller: Caller) -> None:
    """Only an administrator changes the directory or who works a service's inbox."""
    if caller.role != "admin":
        raise Forbidden("administrators only")


LISTED = "code, name, domain, accepts, boards::text AS boards, active"


def summary(row: asyncpg.Record, median: int | None = None) -> api.ServiceSummary:
    fields = {**dict(row), "boards": json.loads(row["boards"]), "first_answer_median_seconds": median}
    return api.ServiceSummary(**fields)


async def save_service(msg: api.ServiceSave, caller: Caller, deps: Deps) -> api.ServiceSummary:
    """An administrator creates or changes a service (audited); it replaces the kept version."""
    administrator(caller)
    async with deps.outbox.transaction() as conn:
        row = await _keep(conn, msg, datetime.now(UTC), caller.account_id)
        if row is None:  # a change dated later than now (a hospital's clock ahead): it stays
            raise Conflict("a later change of this service is kept")
        await audit_service_change(conn, caller, "service.saved", msg.code, f"active={msg.active}")
    return summary(row)


async def audit_service_change(conn: Connection, caller: Caller, action: audit.Action, code: str, detail: str) -> None:
    """In the caller's transaction: what an administrator changed of a service, for the audit log."""
    await audited(conn, caller, action, audit.Entity(kind="service", id=code), detail)


async def message_rejected(subject: str, event_id: str | None, reason: str, deps: Deps) -> None:
    """A hospital message that could not be read: recorded, reported on portal.rejected, acked."""
    async with deps.outbox.transaction() as conn:
        await rejections.reject(conn, "requests", subject, event_id, reason)


async def list_services(msg: api.ListServices, caller: Caller, deps: Deps) -> api.ServiceList:
    """The services that take requests, by name; an administrator may see the inactive ones too.
    Asked for, each one's usual time to a first answer."""
    everyone = msg.include_inactive and caller.role == "admin"
    async with deps.pool.acquire() as conn:
        rows = await conn.fetch(f"SELECT {LISTED} FROM services WHERE active OR $1 ORDER BY name, code", everyone)
        medians = {code: median for code, median in await conn.fetch(_MEDIANS)} if msg.with_response_times else {}
    return api.ServiceList(services=[summary(row, medians.get(row["code"])) for row in rows])


# Each service's median time to a first answer in seconds, over its requests sent in the last 90
# days and answered (the index requests_answered holds all it reads); a service without any: no row.
_MEDIANS = (
    "SELECT service, round(extract(epoch FROM percentile_cont(0.5) WITHIN GROUP "
    "(ORDER BY first_answer_at - submitted_at)))::int FROM requests "
    "WHERE first_answer_at IS NOT NULL AND submitted_at >= now() - interval '90 days' GROUP BY service"
)
