"""Who works each service's inbox: staff accounts an administrator makes members (F3.4). The
requests service checks it for every staff call; identity keeps the accounts themselves."""

from __future__ import annotations

import uuid

from common.contracts import requests as api
from common.db import Connection
from common.errors import NotFound
from common.tokens import Caller

from .directory import Deps, administrator, audit_service_change


async def _members(conn: Connection, code: str) -> api.ServiceMembers:
    if not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM services WHERE code = $1)", code):
        raise NotFound()
    rows = await conn.fetch("SELECT account_id FROM service_members WHERE service = $1", code)
    return api.ServiceMembers(code=code, account_ids=[str(row["account_id"]) for row in rows])


async def get_members(msg: api.ServiceRef, caller: Caller, deps: Deps) -> api.ServiceMembers:
    administrator(caller)
    async with deps.pool.acquire() as conn:
        return await _members(conn, msg.code)


async def set_members(msg: api.ServiceMembers, caller: Caller, deps: Deps) -> api.ServiceMembers:
    """The service's members become exactly these accounts (audited, with how many came and went)."""
    administrator(caller)
    async with deps.outbox.transaction() as conn:
        if await conn.fetchval("SELECT code FROM services WHERE code = $1 FOR UPDATE", msg.code) is None:
            raise NotFound()  # held: two administrators' changes go one after the other
        before = set((await _members(conn, msg.code)).account_ids)
        wanted = set(msg.account_ids)
        await conn.execute(
            "DELETE FROM service_members WHERE service = $1 AND NOT account_id = ANY($2::uuid[])",
            msg.code,
            [uuid.UUID(account) for account in wanted],
        )
        await conn.executemany(
            "INSERT INTO service_members (service, account_id, added_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            [(msg.code, uuid.UUID(account), uuid.UUID(caller.account_id)) for account in wanted - before],
        )
        if wanted != before:
            detail = f"added {len(wanted - before)}, removed {len(before - wanted)}"
            await audit_service_change(conn, caller, "service.members_changed", msg.code, detail)
        return await _members(conn, msg.code)
