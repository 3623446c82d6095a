"""Services start in any number of copies, migrate safely, answer health checks and stop cleanly."""

from __future__ import annotations

import asyncio
import json
import signal
import uuid
from pathlib import Path

import aiohttp
import asyncpg
from nats.aio.msg import Msg

from common.migrate import migrate
from deploy.database import with_database
from deploy.stack import REPO, Stack

from .portal import eventually, metric_grows


async def test_two_copies_migrating_a_fresh_schema_at_once_apply_each_migration_once(stack: Stack) -> None:
    schema = f"lifecycle_{uuid.uuid4().hex[:8]}"
    dsn = with_database(stack.admin_database_url, stack.config.database)
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    first, second = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    try:
        migrations = REPO / "services" / "documents" / "migrations"
        applied = await asyncio.gather(migrate(first, schema, migrations), migrate(second, schema, migrations))
        names = sorted(applied[0] + applied[1])
        assert names == sorted(set(names)) and len(names) == 1 + len(list(Path(migrations).glob("*.sql")))
        assert await admin.fetchval(f'SELECT count(*) FROM "{schema}".schema_migrations') == len(names)
    finally:
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        for conn in (first, second, admin):
            await conn.close()


async def test_each_service_answers_health_on_nats(stack: Stack) -> None:
    nc = await stack.connect_nats("ops")
    try:
        for service in ("identity", "documents", "requests", "notify", "audit"):
            reply = await nc.request(f"{service}.health", b"{}", timeout=5)
            assert json.loads(reply.data) == {
                "service": service,
                "status": "ok",
                "ready": True,
                "checks": {"start-up": "ok", "consumers": "ok", "database": "ok", "bus": "ok", "backlog": "ok"},
            }
    finally:
        await nc.close()


async def test_each_process_serves_metrics_liveness_and_readiness_on_its_own_port(stack: Stack) -> None:
    async with aiohttp.ClientSession() as http:
        for process in ("gateway", "identity", "documents", "requests", "notify", "audit"):
            base = f"http://127.0.0.1:{stack.metrics_ports[process]}"
            async with http.get(f"{base}/livez") as live, http.get(f"{base}/readyz") as ready:
                assert live.status == 200 and ready.status == 200, process
                assert (await ready.json())["ready"] is True
            async with http.get(f"{base}/metrics") as response:
                text = await response.text()
            assert response.status == 200 and 'portal_dependency_up{dependency="bus"} 1.0' in text, process
            if process == "gateway":
                assert "portal_http_request_seconds_bucket" in text
            else:
                assert 'portal_db_pool_connections{state="max"}' in text and "portal_outbox_messages" in text
        async with http.get(f"{stack.config.public_url}/metrics", allow_redirects=False) as public:
            assert public.status in (303, 404) and "portal_" not in await public.text()  # never on the public port
    assert len(set(stack.metrics_ports.values())) == len(stack.metrics_ports)


async def test_extra_copy_starts_serves_and_stops_gracefully_on_sigterm(stack: Stack) -> None:
    key = stack.start_process("documents", copy=2)
    nc = await stack.connect_nats("ops")
    instances: set[str] = set()

    async def pong(msg: Msg) -> None:
        instances.add(json.loads(msg.data)["id"])

    try:
        inbox = nc.new_inbox()
        await nc.subscribe(inbox, cb=pong)

        async def two_copies() -> set[str] | None:
            await nc.publish("$SRV.PING.documents", b"", reply=inbox)
            return instances if len(instances) >= 2 else None

        await eventually(two_copies, timeout=30, what="two copies of documents answering $SRV.PING")
    finally:
        await nc.close()
    assert stack.stop_process(key, sig=signal.SIGTERM, timeout=10) == 0


async def test_a_copy_waits_for_its_database_says_so_once_and_stops_at_once_on_sigterm(stack: Stack) -> None:
    """Start-up order does not matter: without its database a service waits (logged once), is not
    ready, and a SIGTERM meanwhile stops it cleanly."""
    key = stack.start_process(
        "documents", copy=7, overrides={"DATABASE_URL": "postgresql://documents:x@127.0.0.1:1/portal"}
    )
    log_file = stack.log_dir / f"{key}.log"

    async def waiting() -> str | None:
        text = log_file.read_text() if log_file.exists() else ""
        return text if "outage: database unavailable" in text else None

    try:
        await eventually(waiting, timeout=30, what="the copy waiting for its database")
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{stack.metrics_ports[key]}/readyz") as response:
                assert response.status == 503
                assert (await response.json())["checks"] == {"start-up": "waiting for the database"}
        # It keeps trying (several times: the metric says so), and says it once.
        await metric_grows(stack, key, "portal_outage_retries_total", 3, dependency="database")
        assert log_file.read_text().count("outage: database unavailable") == 1
    finally:
        status = stack.stop_process(key, sig=signal.SIGTERM, timeout=10)
    assert status == 0 and "stopped while starting" in log_file.read_text()
