"""Running a back-end service: the shared start-up and shutdown around a service's own parts.

A service's composition root (`__main__.py`) reads its settings and calls `run_service` with
a `setup` function that registers its endpoints and background tasks. This module opens the
NATS connection and the database pool, applies migrations, answers health checks, relays the
outbox, and on SIGTERM or SIGINT stops taking work, then drains and closes everything.
"""
from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable, Coroutine

import asyncpg
import nats.micro
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.micro.request import Request
from nats.micro.service import Service
from pydantic import BaseModel

from . import event_loop
from .bus import connect, endpoint
from .logs import configure_logging
from .migrate import migrate
from .outbox import OutboxRelay
from .settings import ServiceSettings

log = logging.getLogger(__name__)

VERSION = "0.1.0"


class HealthCheck(BaseModel):
    pass


class Health(BaseModel):
    service: str
    status: str
    database: str


class InFlight:
    """Requests answered side by side, a bounded number at a time.

    nats-py hands a subscription's messages to its callback one after the other: an endpoint
    awaiting the database would answer one request at a time. Each request runs in its own
    task instead; when `limit` are running, the next waits (and NATS buffers the rest).
    """

    def __init__(self, limit: int) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._running: set[asyncio.Task[None]] = set()

    def concurrent(self, handler: Callable[[Request], Awaitable[None]]) -> Callable[[Request], Awaitable[None]]:
        async def handle(request: Request) -> None:
            await self._slots.acquire()
            task = asyncio.create_task(handler(request))  # type: ignore[arg-type]
            self._running.add(task)
            task.add_done_callback(self._finished)

        return handle

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._slots.release()
        if not task.cancelled() and task.exception() is not None:
            log.error("request handler failed", exc_info=task.exception())

    async def finish(self, timeout: float = 10.0) -> None:
        """Let the requests already taken finish (after the endpoints stopped taking new ones)."""
        if self._running:
            await asyncio.wait(set(self._running), timeout=timeout)


REQUESTS_AT_ONCE = 64  # per process; the database pool bounds how many of them query at once


@dataclass
class Runtime:
    """The live resources of a running service, handed to its setup function."""

    name: str
    settings: ServiceSettings
    nc: NATS
    js: JetStreamContext
    pool: asyncpg.Pool
    outbox: OutboxRelay
    micro: Service
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    requests: InFlight = field(default_factory=lambda: InFlight(REQUESTS_AT_ONCE))

    def spawn(self, coro: Coroutine[None, None, None], name: str) -> None:
        """Run a background task for the life of the service; its crash stops the service."""
        task = asyncio.create_task(coro, name=name)
        task.add_done_callback(_stop_on_crash)
        self.tasks.append(task)

    async def add_endpoints(self, handlers: dict[str, Callable[[Request], Awaitable[None]]]) -> None:
        """Register request/reply endpoints on their subjects (`<service>.…`), shared by all copies."""
        endpoints = self.micro.add_group(name=self.name)
        for subject, handler in handlers.items():
            name = subject.removeprefix(f"{self.name}.")
            await endpoints.add_endpoint(
                name=name.replace(".", "_"), subject=name, handler=self.requests.concurrent(handler)
            )


_stop = asyncio.Event()


def _stop_on_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background task %s crashed", task.get_name(), exc_info=task.exception())
        _stop.set()


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Nothing to reset: the services set no session state (only SET LOCAL and transaction locks)."""


async def open_pool(database_url: str, schema: str, name: str, max_size: int = 10) -> asyncpg.Pool:
    """A pool whose connections see only the service's own schema by default."""
    return await asyncpg.create_pool(
        database_url,
        min_size=1,
        max_size=max_size,
        server_settings={
            "search_path": schema,
            "application_name": name,
            # asyncpg prepares every statement once per connection. Left to choose, PostgreSQL
            # plans the list queries afresh at each execution (half of their cost); the services'
            # statements are shaped for their indexes, so their generic plans serve every value.
            "plan_cache_mode": "force_generic_plan",
        },
        reset=_keep_session,  # spares a round trip to the server at every release
    )


async def run_service(
    name: str,
    settings: ServiceSettings,
    migrations: Path,
    setup: Callable[[Runtime, AsyncExitStack], Awaitable[None]],
    description: str,
) -> None:
    """Start the service, run until SIGTERM or SIGINT, then shut down gracefully."""
    configure_logging(settings.log_level, name)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, _stop.set)

    async with AsyncExitStack() as stack:
        pool = await open_pool(settings.database_url, name, name)
        stack.push_async_callback(_step, "close the database pool", pool.close)
        async with pool.acquire() as conn:
            await migrate(conn, name, migrations)

        nc = await connect(settings.bus, name)
        stack.push_async_callback(_step, "drain NATS", lambda: _drain(nc))
        js = nc.jetstream()
        micro = await nats.micro.add_service(nc, name=name, version=VERSION, description=description)
        runtime = Runtime(name, settings, nc, js, pool, OutboxRelay(pool, js), micro)
        stack.push_async_callback(_step, "finish the requests taken", runtime.requests.finish)
        stack.push_async_callback(_step, "stop taking requests", micro.stop)
        stack.push_async_callback(_step, "stop background tasks", lambda: _cancel_all(runtime.tasks))

        async def health(_: HealthCheck) -> Health:
            async with pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
            return Health(service=name, status="ok", database="ok")

        await runtime.add_endpoints({f"{name}.health": endpoint(health, HealthCheck)})
        runtime.spawn(runtime.outbox.run(), "outbox relay")
        # What setup opens (HTTP clients...) closes after the tasks and endpoints that use it stop.
        resources = AsyncExitStack()
        stack.push_async_callback(_step, "close service resources", resources.aclose)
        await setup(runtime, resources)
        event_loop.started()
        log.info("%s started", name)
        await _stop.wait()
        log.info("%s stopping", name)
    log.info("%s stopped", name)


async def _step(what: str, action: Callable[[], Awaitable[object]]) -> None:
    log.info("shutdown: %s", what)
    await action()


async def _drain(nc: NATS, timeout: float = 5.0) -> None:
    """Let in-flight messages finish, but never hang shutdown on a stuck subscription."""
    try:
        await asyncio.wait_for(nc.drain(), timeout)
    except (asyncio.TimeoutError, Exception) as exc:
        log.warning("NATS drain did not finish (%s); closing", type(exc).__name__)
        await nc.close()


async def _cancel_all(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
