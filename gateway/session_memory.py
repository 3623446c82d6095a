"""What identity said about each browser session, reused for a few seconds and renewed ahead.

Asking identity at every request would put a round trip and a database read in front of every
page. The gateway reuses an answer for at most REUSE_SECONDS (and never past its token's life).
A session that ends (a logout on any gateway, ended from another session, by an administrator)
stops working here at once: identity announces it (SESSIONS_ENDED, gateway/session_ends.py) and
its answer is never reused again. A copy that missed the announcement (disconnected from the bus
then) stops within REUSE_SECONDS.

An answer still in use is renewed in the background during its last REFRESH_AHEAD_SECONDS, so
that a physician who keeps browsing never waits for identity; without this, the sessions opened
together expired together, and every page in flight queued behind a burst of renewals.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from common.contracts.identity import ResolvedSession
from common.errors import DomainError, Unauthenticated
from common.recent import Recent

log = logging.getLogger(__name__)

REUSE_SECONDS = 5.0
REFRESH_AHEAD_SECONDS = 1.0
TOKEN_MARGIN_SECONDS = 30.0
"""A reused answer's token still has at least this long to live when a service receives it."""
SIZE = 20_000

Ask = Callable[[str, bool], Awaitable[ResolvedSession]]
"""Identity's answer for (session handle, whether the physician is active)."""


@dataclass
class _Known:
    until: float  # on the monotonic clock
    session: ResolvedSession
    attended: bool = False  # a request of the physician's own used it: the renewal touches the session


class SessionMemory:
    def __init__(
        self,
        ask: Ask,
        *,
        reuse_seconds: float = REUSE_SECONDS,
        refresh_ahead_seconds: float = REFRESH_AHEAD_SECONDS,
        size: int = SIZE,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._ask = ask
        self._reuse, self._ahead = reuse_seconds, refresh_ahead_seconds
        self._known: Recent[str, _Known] = Recent(size)
        self._ended: Recent[str, bool] = Recent(size)  # ids of sessions identity said ended
        self._renewing: dict[str, asyncio.Task[None]] = {}
        self._clock, self._wall_clock = clock, wall_clock

    async def resolve(self, handle: str, touch: bool) -> ResolvedSession:
        """The session's account and token; raises identity's refusal (Unauthenticated) as is."""
        now = self._clock()
        known = self._known.get(handle)
        if known is not None and self._ended.get(known.session.session_id):
            self.forget(handle)
            known = None
        if known is None or known.until <= now:
            return await self._ask_identity(handle, touch or (known is not None and known.attended))
        known.attended = known.attended or touch
        if known.until - now <= self._ahead and handle not in self._renewing:
            task = asyncio.create_task(self._renew(handle, known.attended))
            self._renewing[handle] = task
            task.add_done_callback(
                lambda _: self._renewing.pop(handle, None) if self._renewing.get(handle) is task else None
            )
        return known.session

    def forget(self, handle: str) -> None:
        """Stop reusing a session this gateway just ended (a renewal under way is abandoned)."""
        self._known.drop(handle)
        renewal = self._renewing.pop(handle, None)
        if renewal is not None:
            renewal.cancel()

    def ended(self, session_ids: Iterable[str]) -> None:
        """Identity ended these sessions (on any gateway): never reuse an answer about them again,
        nor keep one that was on its way."""
        for session_id in session_ids:
            self._ended.put(session_id, True)

    async def close(self) -> None:
        """Cancel the renewals under way (the gateway is stopping)."""
        renewals = list(self._renewing.values())
        for renewal in renewals:
            renewal.cancel()
        await asyncio.gather(*renewals, return_exceptions=True)

    async def _ask_identity(self, handle: str, touch: bool) -> ResolvedSession:
        asked_at = self._clock()
        resolved = await self._ask(handle, touch)
        lifetime = min(self._reuse, resolved.expires_at - self._wall_clock() - TOKEN_MARGIN_SECONDS)
        if lifetime > 0 and not self._ended.get(resolved.session_id):
            self._known.put(handle, _Known(until=asked_at + lifetime, session=resolved))
        return resolved

    async def _renew(self, handle: str, touch: bool) -> None:
        try:
            await self._ask_identity(handle, touch)
        except Unauthenticated:
            self._known.drop(handle)  # ended elsewhere: the next request is refused
        except DomainError as exc:
            # identity unavailable: the answer expires as planned, the next request asks again
            log.warning("session renewal failed: %s", exc.code)
