"""Who is asking identity: a live session's account, a staff role for staff work, and the ids a
browser may send. A caller without the role, a dead session and a malformed id all get the same
not found as a missing thing: nothing can be enumerated."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from common.db import Connection
from common.errors import NotFound, Unauthenticated

from . import store
from .handlers import Deps
from .store import digest


async def session_account(conn: Connection, deps: Deps, session: str, touch: bool = True) -> tuple[str, store.Account]:
    """The live session's id and account; Unauthenticated otherwise."""
    found = await store.touch_live_session(
        conn, digest(session), deps.settings.session_idle_seconds, deps.settings.session_absolute_seconds, touch
    )
    if found is None:
        raise Unauthenticated("no such session")
    return found


async def staff_account(conn: Connection, deps: Deps, session: str, roles: Collection[str]) -> store.Account:
    """The session's account if it has one of `roles`; NotFound for anyone and anything else."""
    try:
        _, account = await session_account(conn, deps, session)
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
