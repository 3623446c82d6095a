"""Sessions identity ended (SESSIONS_ENDED, on any gateway copy or by an administrator): this copy
stops reusing what it remembers of them and ends their event streams, at once.

The announcement is core NATS: while this copy is away from the bus it misses some, and its
memory of those sessions expires within seconds (session_memory.REUSE_SECONDS); their event
streams end at their next session check (views/events.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web
from nats.aio.client import Client as NATS
from nats.errors import Error as NatsError

from common.bus import listen
from common.contracts.identity import SESSIONS_ENDED, SessionsEnded

from .live import FEED_KEY
from .sessions import SESSION_MEMORY_KEY
from .state import CleanupContext


def ended_sessions(bus: NATS) -> CleanupContext:
    """A cleanup context: listen to identity's ended sessions on `bus` (after the memory and the feed exist)."""

    async def listening(app: web.Application) -> AsyncIterator[None]:
        memory, feed = app[SESSION_MEMORY_KEY], app[FEED_KEY]

        def heard(ended: SessionsEnded) -> None:
            memory.ended(ended.sessions)
            feed.sessions_ended(ended.account, frozenset(ended.sessions))

        subscription = await listen(bus, SESSIONS_ENDED, heard)
        yield
        try:
            await subscription.unsubscribe()
        except NatsError:
            pass  # the connection was drained or closed first: the subscription went with it

    return listening
