"""Composition root: `python -m gateway` serves the portal until SIGTERM or SIGINT."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from nats.aio.client import Client as NATS

from common import event_loop, metrics
from common.bus import connect
from common.logs import configure_logging
from common.outages import BUS, Outages

from .app import make_app
from .config import GatewaySettings
from .state import CleanupContext

log = logging.getLogger("gateway")

# In-flight requests get this long to finish once we stop accepting new ones.
SHUTDOWN_GRACE_SECONDS = 10.0


class AccessLog(AbstractAccessLogger):
    """One line per request: client, method, path, status, bytes, duration.

    The path without its query string: list filters may name a patient. No Referer, no
    User-Agent: nothing the browser chose to tell.
    """

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %d %d %.1fms",
            request.remote,
            request.method,
            request.path,
            response.status,
            response.body_length,
            time * 1000,
        )


def bus_drained_on_cleanup(nc: NATS) -> CleanupContext:
    """A cleanup context that drains NATS after the last request has been answered."""

    async def bus(app: web.Application) -> AsyncIterator[None]:
        yield
        await nc.drain()

    return bus


async def serve(settings: GatewaySettings) -> None:
    """Serve until asked to stop, then stop accepting, finish requests and drain the bus."""
    stop = event_loop.stop_on_signals()

    outages = Outages(alert_after_seconds=settings.operations.outage_alert_seconds)
    nc = await connect(settings.bus, "gateway", outages)
    metrics.dependency_watched(BUS, outages)

    def readiness() -> tuple[bool, dict[str, str]]:
        """Ready while the bus is connected (every page asks a service over it) and not stopping
        (a load balancer then sends no more)."""
        checks = {BUS: "ok" if nc.is_connected else "unavailable", "stopping": "yes" if stop.is_set() else "ok"}
        ready = all(state == "ok" for state in checks.values())
        return ready, checks

    operations = settings.operations
    metrics_server = await metrics.serve_metrics(operations.metrics_host, operations.metrics_port, readiness)
    app = make_app(settings, nc, readiness, outages)
    app.cleanup_ctx.append(bus_drained_on_cleanup(nc))
    runner = web.AppRunner(app, access_log_class=AccessLog, shutdown_timeout=SHUTDOWN_GRACE_SECONDS)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.http_host, settings.http_port).start()
        event_loop.started()
        log.info("gateway listening on %s:%d", settings.http_host, settings.http_port)
        await stop.wait()
        log.info("gateway stopping")
    finally:
        await runner.cleanup()
        await metrics_server.cleanup()
    log.info("gateway stopped")


def main() -> None:
    """Read the settings, configure logging, serve."""
    settings = GatewaySettings.from_env()
    configure_logging(settings.log_level, "gateway")
    event_loop.run(serve(settings))


if __name__ == "__main__":
    main()
