"""Who is asking identity: the account of the live session a verified token names, a staff role
for staff work, and the ids a browser may send. A caller without the role, a dead session and a malformed id all get the same
not found as a missing thing: nothing can be enumerated."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from common.db import Connection
from common.errors import NotFound, Unauthenticated
from common.tokens import Caller

from . import store
from .deps import Deps


async def session_account(conn: Connection, deps: Deps, caller: Caller) -> tuple[str, store.Account]:
    """The caller's session id and account while that session is alive (the token outlives neither);
    Unauthenticated otherwise."""
    found = await store.live_session(
        conn, caller.session_id, deps.settings.session_idle_seconds, deps.settings.session_absolute_seconds
    )
    if found is None:
        raise Unauthenticated("no such session")
    return found


async def staff_account(conn: Connection, deps: Deps, caller: Caller, roles: Collection[str]) -> store.Account:
    """The caller's account if it has one of `roles`; NotFound for anyone and anything else."""
    try:
        _, account = await session_account(conn, deps, caller)
    except Unauthenticated:
        raise NotFound() from None
    if account.role not in roles:
        raise NotFound()
    return account


def opaque_id(value: str) -> uuid.UUID:
    """An id from the browser; NotFound if it cannot be one."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound() from None
