"""A physician's open sessions: seen from any of them, each ended from another."""

from __future__ import annotations

import uuid

from common.contracts import identity as api
from common.contracts.base import Empty
from common.errors import NotFound
from common.tokens import Caller

from . import store, trail
from .access import session_account
from .deps import Deps


async def list_sessions(msg: Empty, caller: Caller, deps: Deps) -> api.OpenSessions:
    """The account's sessions still alive (not ended, within both timeouts), most recent first."""
    async with deps.pool.acquire() as conn:
        session_id, account = await session_account(conn, deps, caller)
        rows = await conn.fetch(
            "SELECT id::text, created_at, last_seen_at, client_ip, login_method, browser, system FROM sessions "
            "WHERE account_id = $1 "
            "AND ended_at IS NULL AND last_seen_at > now() - make_interval(secs => $2) "
            "AND created_at > now() - make_interval(secs => $3) ORDER BY last_seen_at DESC",
            uuid.UUID(account.id),
            deps.settings.session_idle_seconds,
            deps.settings.session_absolute_seconds,
        )
    return api.OpenSessions(items=[api.OpenSession(**dict(row), current=row["id"] == session_id) for row in rows])


async def end_one_session(msg: api.OtherSession, caller: Caller, deps: Deps) -> Empty:
    """End another session of the caller's account; any other id is not found, as a missing one."""
    try:
        target = uuid.UUID(msg.id)
    except ValueError:
        raise NotFound() from None
    async with deps.pool.acquire() as conn, conn.transaction():
        _, account = await session_account(conn, deps, caller)
        if not await store.end_one_session(conn, account.id, target):
            raise NotFound()
        await trail.record(
            conn, "logout", by=account, entity=trail.account(account.id), detail="ended from another session"
        )
    return Empty()


async def end_other_sessions(msg: Empty, caller: Caller, deps: Deps) -> Empty:
    """ "Fermer toutes les autres sessions": every session of the caller's account but the caller's
    own ends at once (each gateway hears of it, session_ends)."""
    async with deps.pool.acquire() as conn, conn.transaction():
        session_id, account = await session_account(conn, deps, caller)
        await store.end_other_sessions(conn, account.id, session_id)
        await trail.record(
            conn,
            "logout",
            by=account,
            entity=trail.account(account.id),
            detail="all other sessions ended from this one",
        )
    return Empty()
