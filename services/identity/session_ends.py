"""Sessions that end are announced to every gateway (SESSIONS_ENDED): each copy stops reusing what
it remembers of them and ends their event streams at once, rather than a few seconds later.

Wherever a session ends (`store.end_*`) it is noted for the request under way. Every request
identity answers runs in `announced` (its Handlers' scope), which announces what was noted once
the handler is done: after the transaction that ended the sessions has committed (a gateway
asking again then hears that they ended), and before the answer goes back (so the browser that
ended a session never outruns the news). A handler that fails after noting may announce sessions
that did not end: a gateway then only asks identity again.

The announcement is core NATS: a gateway disconnected at that moment misses it, and stops reusing
the session when its memory of it expires (gateway/session_memory.py, a few seconds).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from contextvars import ContextVar

from nats.aio.client import Client as NATS

from common.bus import announce
from common.contracts.identity import SESSIONS_ENDED, SESSIONS_PER_EVENT, SessionsEnded

log = logging.getLogger(__name__)

_NOTED: ContextVar[dict[str, list[str]] | None] = ContextVar("ended_sessions", default=None)
"""The sessions the current request ended, by account."""


def note(account_id: str, session_ids: Iterable[str]) -> None:
    """Sessions of `account_id` that the current request ends (inside its transaction)."""
    noted = _NOTED.get()
    if noted is None:
        raise RuntimeError("sessions ended outside a request: no gateway would hear of it")
    noted.setdefault(account_id, []).extend(session_ids)


@asynccontextmanager
async def announced(nc: NATS) -> AsyncIterator[None]:
    """Run a request; then announce the sessions it ended, if any."""
    noted: dict[str, list[str]] = {}
    token = _NOTED.set(noted)
    try:
        yield
    finally:
        _NOTED.reset(token)
        for account_id, session_ids in noted.items():
            for start in range(0, len(session_ids), SESSIONS_PER_EVENT):
                ended = SessionsEnded(account=account_id, sessions=session_ids[start : start + SESSIONS_PER_EVENT])
                try:
                    await announce(nc, SESSIONS_ENDED, ended)
                except Exception as exc:  # the bus away: the gateways' memories expire within seconds
                    log.warning("sessions ended, not announced: %s", type(exc).__name__)
