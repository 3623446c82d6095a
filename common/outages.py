"""Outages: which failures are a dependency being away (retry, however long), and keeping track of them.

An outage is not bad input. A message that fails because the database restarts, the bus
reconnects or another service does not answer is retried with backoff for as long as that
lasts, and never counts against the attempts kept for messages that fail on their content.

Each process keeps one `Outages`: an outage is logged once when it starts, once more as an
ERROR (the alert) if it outlasts `PORTAL_OUTAGE_ALERT_SECONDS`, and once when it ends, with its
length; the metrics show each dependency's state and how long it has been away.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
import nats.errors
import nats.js.errors

from . import metrics
from .errors import ServiceUnavailable

log = logging.getLogger("outages")

T = TypeVar("T")

DATABASE, BUS, SERVICE = "database", "bus", "service"

_DATABASE_CLASSES = ("08", "53", "57", "58")  # connection, resources, operator intervention, system
_CONNECTION_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EPIPE,
        errno.ENETUNREACH,
        errno.EHOSTUNREACH,
        errno.ETIMEDOUT,
        errno.ENOENT,
    }  # ENOENT: a unix socket gone while its server restarts
)
_BUS_ERRORS = (
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.ConnectionDrainingError,
    nats.errors.NoRespondersError,
    nats.errors.NoServersError,
    nats.errors.TimeoutError,
    nats.errors.FlushTimeoutError,
    nats.errors.StaleConnectionError,
    nats.errors.UnexpectedEOF,
    nats.errors.OutboundBufferLimitError,
    nats.js.errors.ServiceUnavailableError,
    nats.js.errors.ServerError,
    nats.js.errors.NoStreamResponseError,
    nats.js.errors.FetchTimeoutError,
)


def dependency_of(exc: BaseException) -> str | None:
    """The dependency whose absence `exc` shows, or None when it is not an outage."""
    if isinstance(exc, ServiceUnavailable):
        return SERVICE
    if isinstance(exc, asyncpg.InterfaceError):
        # Only the connection going away ("connection is closed", "pool is closing"); others
        # ("another operation is in progress"…) are bugs, and must not be waited out.
        return DATABASE if "clos" in str(exc) else None
    if isinstance(exc, asyncpg.InternalClientError):
        return DATABASE  # the protocol's state lost with the connection
    if isinstance(exc, asyncpg.PostgresError):
        state = getattr(exc, "sqlstate", None) or ""
        return DATABASE if state[:2] in _DATABASE_CLASSES else None
    if isinstance(exc, _BUS_ERRORS):
        return BUS
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError, socket.gaierror)) or (
        isinstance(exc, OSError) and not isinstance(exc, ssl.SSLError) and exc.errno in _CONNECTION_ERRNOS
    ):
        # A socket that cannot reach its peer: in the services, the database is the only peer
        # reached that way (NATS, the mail server, the SMS provider and HIN fail with their own
        # types or as ServiceUnavailable).
        return DATABASE
    if exc.__cause__ is not None:
        return dependency_of(exc.__cause__)  # a failure that wraps an outage is one
    return None


def is_outage(exc: BaseException) -> bool:
    return dependency_of(exc) is not None


class Outages:
    """The dependencies this process finds away right now, since when, and the log lines that go with it."""

    def __init__(self, alert_after_seconds: float = 60.0, first_wait: float = 0.2, longest_wait: float = 2.0) -> None:
        self.alert_after = alert_after_seconds
        self.first_wait = first_wait
        self.longest_wait = longest_wait
        self._since: dict[str, float] = {}
        self._alerted: set[str] = set()

    def failing(self, dependency: str, cause: BaseException | str) -> None:
        """Something needing `dependency` failed because it is away; log at the start and at the alert."""
        now = time.monotonic()
        what = cause if isinstance(cause, str) else type(cause).__name__
        if dependency not in self._since:
            self._since[dependency] = now
            metrics.dependency_watched(dependency, self)
            log.warning("outage: %s unavailable (%s); retrying until it is back", dependency, what)
        elif dependency not in self._alerted and now - self._since[dependency] >= self.alert_after:
            self._alerted.add(dependency)
            log.error(
                "ALERT outage: %s unavailable for %.0f s (%s); still retrying",
                dependency,
                now - self._since[dependency],
                what,
            )

    def working(self, dependency: str) -> None:
        """Something needing `dependency` just succeeded: an outage of it, if any, is over."""
        since = self._since.pop(dependency, None)
        if since is not None:
            self._alerted.discard(dependency)
            log.warning("outage over: %s back after %.1f s", dependency, time.monotonic() - since)

    def seconds(self, dependency: str) -> float:
        """How long `dependency` has been away (0 when it is not)."""
        since = self._since.get(dependency)
        return 0.0 if since is None else time.monotonic() - since

    def away(self) -> dict[str, float]:
        """Every dependency away now, with how long."""
        return {dependency: self.seconds(dependency) for dependency in self._since}

    async def retry(
        self,
        attempt: Callable[[], Awaitable[T]],
        *,
        longest_wait: float | None = None,
    ) -> T:
        """Run `attempt` until it succeeds or fails for a reason other than an outage (raised).

        Waits grow from 0.2 s to 2 s (or `longest_wait`): short, so that work resumes within a
        couple of seconds of the dependency coming back. What the attempt found away is marked
        working again once it succeeds.
        """
        wait, longest = self.first_wait, longest_wait or self.longest_wait
        failed_on: set[str] = set()
        while True:
            try:
                result = await attempt()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                dependency = dependency_of(exc)
                if dependency is None:
                    raise
                failed_on.add(dependency)
                self.failing(dependency, exc)
                metrics.OUTAGE_RETRIES.labels(dependency).inc()
                await asyncio.sleep(wait)
                wait = min(longest, wait * 2)
                continue
            for dependency in failed_on:
                self.working(dependency)
            return result

    async def periodically(self, work: Callable[[], Awaitable[object]], every_seconds: float, what: str) -> None:
        """Run `work` every `every_seconds` for the life of the process; a pass that meets an outage
        waits it out (logged once), any other failure is logged with its traceback and the next
        pass tries again."""
        while True:
            await asyncio.sleep(every_seconds)
            try:
                await self.retry(work)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s failed; trying again in %.0f s", what, every_seconds)
