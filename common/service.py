"""Running a back-end service: the shared start-up and shutdown around a service's own parts.

A service's composition root (`__main__.py`) reads its settings and calls `run_service` with
a `setup` function that registers its endpoints and background tasks. This module opens the
NATS connection and the database pool (waiting for either while it is away), applies
migrations, answers health checks, serves its metrics, relays the outbox, and on SIGTERM or
SIGINT stops taking work, then drains and closes everything.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import nats.micro
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.micro.request import Request
from nats.micro.service import Service

from common.db import Connection

from . import event_loop, metrics
from .bus import Handlers, call, connect
from .consumer import DurableConsumer
from .contracts.base import Empty
from .contracts.health import Health, check_health
from .logs import configure_logging
from .migrate import check_migrated, migrate
from .outages import BUS, DATABASE, Outages, dependency_of
from .outbox import OutboxRelay, watch_outbox
from .settings import ServiceSettings

log = logging.getLogger(__name__)

VERSION = "0.1.0"


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
            task: asyncio.Task[None] = asyncio.create_task(handler(request))  # type: ignore[arg-type]
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
    stop: asyncio.Event  # set, the service stops: a signal, or a background task's crash
    outages: Outages  # what this process found away (database, bus, another service), logged once each
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    requests: InFlight = field(default_factory=lambda: InFlight(REQUESTS_AT_ONCE))
    consumers: list[DurableConsumer] = field(default_factory=list)
    set_up: bool = False  # its streams, endpoints and consumers are in place
    stoppers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    """Graceful stops of the service's own loops (an email sender…), run with the consumers'."""

    async def finish_work(self) -> None:
        """Fetch no more and finish what was taken: the consumers' batches, the loops' current work."""
        await asyncio.gather(*(consumer.stop() for consumer in self.consumers), *(stop() for stop in self.stoppers))

    def spawn(self, coro: Coroutine[None, None, None], name: str) -> None:
        """Run a background task for the life of the service; its crash stops the service."""
        task = asyncio.create_task(coro, name=name)
        task.add_done_callback(functools.partial(_stop_on_crash, self.stop))
        self.tasks.append(task)

    def consume(self, consumer: DurableConsumer, needs: tuple[str, ...] = ()) -> None:
        """Run a durable consumer for the life of the service, once the services it `needs` answer;
        its backlog counts for readiness."""
        self.consumers.append(consumer)

        async def consume() -> None:
            for service in needs:
                await self.wait_for(service)
            await consumer.run()

        self.spawn(consume(), f"{consumer.name} consumer")

    async def wait_for(self, service: str) -> None:
        """Wait until another service answers its health check (logged once while waiting), so that
        nothing is consumed, and nothing rejected, before what it needs is there."""
        waited = False
        while True:
            try:
                await call(self.nc, check_health(service), Empty(), timeout=2.0)
                break
            except Exception as exc:
                if not waited:
                    log.info("waiting for %s to answer before consuming (%s)", service, type(exc).__name__)
                    waited = True
                await asyncio.sleep(0.5)
        if waited:
            log.info("%s answers", service)

    def readiness(self) -> tuple[bool, dict[str, str]]:
        """Ready: set up, every consumer consuming, the database not in an outage, the bus connected,
        no message held longer than the limit."""
        limit = self.settings.operations.ready_max_backlog_seconds
        oldest = max((consumer.backlog_age() for consumer in self.consumers), default=0.0)
        waiting = [consumer.name for consumer in self.consumers if not consumer.running]
        checks = {
            "start-up": "ok" if self.set_up else "setting up",
            "consumers": "ok" if not waiting else f"not consuming yet: {', '.join(waiting)}",
            DATABASE: "unavailable" if self.outages.seconds(DATABASE) else "ok",
            BUS: "ok" if self.nc.is_connected else "unavailable",
            "backlog": "ok" if oldest <= limit else f"oldest message waiting {oldest:.0f} s (limit {limit} s)",
        }
        ready = all(state == "ok" for state in checks.values())
        return ready, checks

    async def check_database(self) -> None:
        """One query with a short deadline: the database's outage begins or ends with it (and
        readiness follows), even while nothing else asks the database."""
        try:
            async with asyncio.timeout(2.0):
                async with self.pool.acquire() as conn:
                    await conn.fetchval("SELECT 1")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.outages.failing(dependency_of(exc) or DATABASE, exc)
        else:
            self.outages.working(DATABASE)

    async def add_endpoints(self, handlers: Handlers[Any]) -> None:
        """Register request/reply endpoints on their subjects (`<service>.…`), shared by all copies."""
        endpoints = self.micro.add_group(name=self.name)
        for subject, handler in handlers.endpoints.items():
            name = subject.removeprefix(f"{self.name}.")
            await endpoints.add_endpoint(
                name=name.replace(".", "_"), subject=name, handler=self.requests.concurrent(handler)
            )

    async def stop_taking_requests(self) -> None:
        """Stop the endpoints without losing a request: each subscription is drained (the server
        stops routing to this copy; what it already routed here is still answered), then the
        micro service stops. nats-py's own `stop()` unsubscribes, which drops what is in flight
        to this copy: a rolling restart would fail those requests."""
        endpoints = getattr(self.micro, "_endpoints", [])
        if self.nc.is_connected:  # without the bus there is nothing to drain (nor to wait for)
            for endpoint_ in endpoints:
                subscription = getattr(endpoint_, "_subscription", None)
                if subscription is not None:
                    try:
                        await asyncio.wait_for(subscription.drain(), 5.0)
                    except Exception as exc:  # the connection is going anyway
                        log.warning("draining an endpoint failed (%s)", type(exc).__name__)
        self.micro._endpoints = []  # drained above: nothing left for stop() to unsubscribe
        try:
            await asyncio.wait_for(self.micro.stop(), 5.0)
        except Exception as exc:
            log.warning("stopping the micro service did not finish (%s)", type(exc).__name__)


def _stop_on_crash(stop: asyncio.Event, task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background task %s crashed", task.get_name(), exc_info=task.exception())
        stop.set()


async def _keep_session(conn: Connection) -> None:
    """Nothing to reset: the services set no session state (only SET LOCAL and transaction locks)."""


async def open_pool(database_url: str, schema: str, name: str, max_size: int) -> asyncpg.Pool:
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
    migrated_by: str | None = None,
) -> None:
    """Start the service, run until SIGTERM or SIGINT, then shut down gracefully.

    A signal while it is still starting (waiting for the database or the bus, say) stops it at
    once, closing what it had opened. `migrated_by`: the service does not own its schema's
    tables, and only checks that they are up to date; the text says who migrates them."""
    configure_logging(settings.log_level, name)
    outages = Outages(alert_after_seconds=settings.operations.outage_alert_seconds)
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    starting = True
    stop = asyncio.Event()  # set by SIGTERM or SIGINT, or by a background task's crash

    def on_signal() -> None:
        if starting and main is not None and not stop.is_set():
            main.cancel()
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal)
    try:
        async with AsyncExitStack() as stack:
            await _start(name, settings, migrations, setup, description, stack, stop, outages, migrated_by)
            starting = False
            event_loop.started()
            log.info("%s started", name)
            await stop.wait()
            log.info("%s stopping", name)
    except asyncio.CancelledError:
        if not stop.is_set():
            raise
        log.info("%s stopped while starting", name)
        return
    log.info("%s stopped", name)


async def _start(
    name: str,
    settings: ServiceSettings,
    migrations: Path,
    setup: Callable[[Runtime, AsyncExitStack], Awaitable[None]],
    description: str,
    stack: AsyncExitStack,
    stop: asyncio.Event,
    outages: Outages,
    migrated_by: str | None = None,
) -> Runtime:
    """Open everything, registering each step of the shutdown as it goes (they run in reverse)."""
    # Metrics, liveness and readiness first: a process waiting for its database is alive and says
    # it is not ready (and why), rather than not answering at all.
    phase = ["waiting for the database"]
    started: list[Runtime] = []

    def readiness() -> tuple[bool, dict[str, str]]:
        return started[0].readiness() if started else (False, {"start-up": phase[0]})

    operations = settings.operations
    metrics_server = await metrics.serve_metrics(operations.metrics_host, operations.metrics_port, readiness)
    stack.push_async_callback(_step, "stop serving metrics", metrics_server.cleanup)
    for dependency in (DATABASE, BUS):
        metrics.dependency_watched(dependency, outages)

    # The database may not be there yet (start-up order does not matter): wait for it, logged once.
    pool = await outages.retry(
        lambda: open_pool(settings.database_url, name, name, settings.database_pool_size), longest_wait=5.0
    )
    stack.push_async_callback(_step, "close the database pool", lambda: _close_pool(pool))
    metrics.watch_pool(pool)

    async def migrated() -> None:
        async with pool.acquire() as conn:
            if migrated_by is None:
                await migrate(conn, name, migrations)
            else:
                await check_migrated(conn, name, migrations, migrated_by)

    await outages.retry(migrated)

    phase[0] = "waiting for the bus"
    nc = await connect(settings.bus, name, outages)
    stack.push_async_callback(_step, "drain NATS", lambda: _drain(nc))
    js = nc.jetstream()
    micro = await nats.micro.add_service(nc, name=name, version=VERSION, description=description)
    runtime = Runtime(name, settings, nc, js, pool, OutboxRelay(pool, js, outages), micro, stop, outages)
    started.append(runtime)
    # What setup opens (HTTP clients…) closes after the tasks and endpoints that use it stop.
    resources = AsyncExitStack()
    stack.push_async_callback(_step, "close service resources", resources.aclose)
    stack.push_async_callback(_step, "finish the requests taken", runtime.requests.finish)
    stack.push_async_callback(_step, "stop taking requests", runtime.stop_taking_requests)
    stack.push_async_callback(_step, "stop background tasks", lambda: _cancel_all(runtime.tasks))
    stack.push_async_callback(_step, "finish the work in hand", runtime.finish_work)

    async def health(_: Empty, runtime: Runtime) -> Health:
        ready, checks = runtime.readiness()
        return Health(service=name, status="ok" if ready else "not_ready", ready=ready, checks=checks)

    own = Handlers(runtime, outages)
    own.add(check_health(name), health)
    await runtime.add_endpoints(own)
    runtime.spawn(runtime.outbox.run(), "outbox relay")
    runtime.spawn(watch_outbox(pool, "outbox", "bus"), "outbox metrics")
    runtime.spawn(_check_database_forever(runtime), "database check")
    await setup(runtime, resources)
    runtime.set_up = True
    return runtime


async def _check_database_forever(runtime: Runtime, every_seconds: float = 1.0) -> None:
    while True:
        await runtime.check_database()
        await asyncio.sleep(every_seconds)


async def _step(what: str, action: Callable[[], Awaitable[object]]) -> None:
    log.info("shutdown: %s", what)
    await action()


async def _close_pool(pool: asyncpg.Pool, timeout: float = 10.0) -> None:
    """Close the pool gracefully, or at once if a connection does not come back in time."""
    try:
        await asyncio.wait_for(pool.close(), timeout)
    except (TimeoutError, Exception) as exc:
        log.warning("the database pool did not close in time (%s); terminated", type(exc).__name__)
        pool.terminate()


async def _drain(nc: NATS, timeout: float = 5.0) -> None:
    """Let in-flight messages finish, but never hang shutdown on a stuck subscription."""
    try:
        await asyncio.wait_for(nc.drain(), timeout)
    except (TimeoutError, Exception) as exc:
        log.warning("NATS drain did not finish (%s); closing", type(exc).__name__)
        await nc.close()


async def _cancel_all(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
