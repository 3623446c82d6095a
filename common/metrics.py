"""Prometheus metrics of every process, and the small HTTP server that exposes them.

Each process serves `/metrics`, `/livez` and `/readyz` on its own port (`PORTAL_METRICS_PORT`),
never on the gateway's public one. The names below are the ones the dashboard and the alert
rules in `deploy/monitoring/` use: change them together.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

if TYPE_CHECKING:
    import asyncpg

    from .outages import Outages

log = logging.getLogger(__name__)

# -- outages ---------------------------------------------------------------------------------
DEPENDENCY_UP = Gauge("portal_dependency_up", "1 while the dependency answers, 0 during an outage", ["dependency"])
OUTAGE_SECONDS = Gauge(
    "portal_dependency_outage_seconds", "How long the dependency has been away (0: it is not)", ["dependency"]
)
OUTAGE_RETRIES = Counter(
    "portal_outage_retries_total", "Attempts retried because a dependency was away", ["dependency"]
)

# -- consumers -------------------------------------------------------------------------------
CONSUMER_PENDING = Gauge(
    "portal_consumer_pending_messages", "Messages in the stream not yet delivered to the consumer", ["consumer"]
)
CONSUMER_ACK_PENDING = Gauge(
    "portal_consumer_ack_pending_messages", "Messages delivered and not yet acknowledged", ["consumer"]
)
CONSUMER_REDELIVERED = Gauge(
    "portal_consumer_redelivered_messages", "Messages delivered more than once and not yet acknowledged", ["consumer"]
)
CONSUMER_BACKLOG_AGE = Gauge(
    "portal_consumer_backlog_age_seconds", "Age of the oldest message this process holds unacknowledged", ["consumer"]
)
REDELIVERIES = Counter(
    "portal_consumer_redeliveries_total",
    "Messages this process received again (a crash, an expired ack wait)",
    ["consumer"],
)
PROCESSED = Counter("portal_messages_processed_total", "Messages processed and acknowledged", ["consumer"])
REJECTED = Counter(
    "portal_messages_rejected_total", "Messages set aside for their content, by reason", ["consumer", "reason"]
)

# -- outboxes --------------------------------------------------------------------------------
OUTBOX_DEPTH = Gauge("portal_outbox_messages", "Rows waiting in an outbox", ["outbox"])
OUTBOX_AGE = Gauge("portal_outbox_oldest_seconds", "Age of the oldest row waiting in an outbox", ["outbox"])

# -- requests --------------------------------------------------------------------------------
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REQUEST_SECONDS = Histogram(
    "portal_request_seconds", "Time to answer a bus request, per endpoint", ["endpoint"], buckets=_LATENCY_BUCKETS
)
REQUEST_ERRORS = Counter(
    "portal_request_errors_total", "Bus requests answered with an error, per endpoint and code", ["endpoint", "code"]
)
REQUESTS_IGNORED = Counter(
    "portal_requests_ignored_total",
    "Messages on a request subject with no caller's inbox to answer (not sent by a caller), per endpoint",
    ["endpoint"],
)
HTTP_SECONDS = Histogram(
    "portal_http_request_seconds",
    "Time to answer an HTTP request, per route",
    ["route", "method"],
    buckets=_LATENCY_BUCKETS,
)
HTTP_RESPONSES = Counter("portal_http_responses_total", "HTTP answers, per status", ["status"])

# -- database pool ---------------------------------------------------------------------------
POOL_CONNECTIONS = Gauge(
    "portal_db_pool_connections", "The database pool's connections: in use, idle, and its maximum", ["state"]
)

# -- notifications ---------------------------------------------------------------------------
NOTIFICATIONS_SENT = Counter(
    "portal_notifications_sent_total",
    "Emails and SMS handed to the mail server or the SMS provider",
    ["channel", "kind"],
)
NOTIFICATIONS_FAILED = Counter(
    "portal_notifications_failed_total",
    "Emails and SMS that could not be sent (unavailable: retried; refused: for good)",
    ["channel", "reason"],
)

READY = Gauge("portal_ready", "1 while the process is ready to take work")
AUDIT_CHAIN_BROKEN = Gauge(
    "portal_audit_chain_broken", "1 since the audit service found its hash chain broken, 0 since it found it whole"
)


def dependency_watched(dependency: str, outages: Outages) -> None:
    """Export a dependency's state (again at each of its outages: the same series, set anew)."""
    DEPENDENCY_UP.labels(dependency).set_function(lambda: 0.0 if outages.seconds(dependency) else 1.0)
    OUTAGE_SECONDS.labels(dependency).set_function(lambda: outages.seconds(dependency))


def watch_pool(pool: asyncpg.Pool) -> None:
    """Export the pool's use, read when Prometheus scrapes."""
    POOL_CONNECTIONS.labels("in_use").set_function(lambda: pool.get_size() - pool.get_idle_size())
    POOL_CONNECTIONS.labels("idle").set_function(pool.get_idle_size)
    POOL_CONNECTIONS.labels("max").set_function(pool.get_max_size)


Readiness = Callable[[], "tuple[bool, dict[str, str]]"]
"""Whether the process is ready, and what is not (each check's name and state)."""


def metrics_app(readiness: Readiness) -> web.Application:
    """`/metrics` for Prometheus; `/livez`: the process runs; `/readyz`: it is ready to take work (503 if not)."""

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def livez(_: web.Request) -> web.Response:
        return web.json_response({"live": True})

    async def readyz(_: web.Request) -> web.Response:
        ready, checks = readiness()
        return web.Response(
            text=json.dumps({"ready": ready, "checks": checks}),
            status=200 if ready else 503,
            content_type="application/json",
        )

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/livez", livez)
    app.router.add_get("/readyz", readyz)
    return app


async def serve_metrics(host: str, port: int, readiness: Readiness) -> web.AppRunner:
    """Start the metrics server; a port in use stops the process with a clear message."""
    READY.set_function(lambda: 1.0 if readiness()[0] else 0.0)  # read at each scrape
    runner = web.AppRunner(metrics_app(readiness), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise SystemExit(
            f"configuration error: PORTAL_METRICS_PORT {port} cannot be used ({exc.strerror}); "
            "give each copy on a machine its own port (0 picks a free one)"
        ) from None
    server = cast("asyncio.Server | None", site._server)
    bound = [s.getsockname()[1] for s in server.sockets] if server is not None else [port]
    log.info("metrics on http://%s:%d/metrics", host, bound[0])
    return runner
