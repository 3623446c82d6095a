"""The portal under test: real NATS, real PostgreSQL, every process as its own OS process.

The stack starts once per test run (on free ports, in a temporary directory) or uses
`DATABASE_URL` (an admin DSN; a fresh database is created) and `NATS_URL` (with
`NATS_CREDENTIALS_FILE`, the users file its configuration was generated from) when set.
The session's database is gone at the end: dropped on a `DATABASE_URL` server, deleted with the
embedded server's directory otherwise. The stack starts only for the tests that ask for it (the
session fixtures are not autouse), so `-m unit` starts nothing.
Tests isolate themselves by creating their own physicians, patients and episodes.
Once the stack has stopped, its logs and dev outbox are scanned for what the tests used that
must not be there (tests/leaks.py): a finding fails the run at the stack's teardown.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from playwright.async_api import Browser, async_playwright
from yarl import URL

from deploy.database import drop_database
from deploy.ports import PORT_BAND, port_band
from deploy.stack import Stack, StackConfig, free_port
from deploy.test_identity_provider import TestIdentityProvider

from . import leaks
from .portal import Hospital, Physician, Physicians, PortalEvents
from .web import SignIn, WebClient

_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1… when make test runs workers side by side
if _WORKER.startswith("gw"):
    os.environ.setdefault(PORT_BAND, port_band(int(_WORKER[2:])))  # each worker's stack on ports of its own


@pytest.fixture(scope="session")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    var_dir = tmp_path_factory.mktemp("portal")
    credentials = os.environ.get("NATS_CREDENTIALS_FILE")
    config = StackConfig(
        var_dir=var_dir,
        environment="dev",  # the dev stack, with its outbox page
        ephemeral=True,
        http_port=free_port(),
        nats_port=free_port(),
        smtp_port=free_port(),
        sms_port=free_port(),
        database=f"portal_test_{uuid.uuid4().hex[:8]}",
        admin_database_url=os.environ.get("DATABASE_URL") or None,
        nats_url=os.environ.get("NATS_URL") or None,
        nats_credentials_file=Path(credentials) if credentials else None,
        log_level="INFO",
        pending_sweep_seconds=1,
        housekeeping_seconds=1,
        audit_checkpoint_seconds=1,  # tests/test_audit_trail.py waits for checkpoints of its records
        audit_verify_seconds=60,
        hin_test_idp_port=free_port(),
        partner_app_port=free_port(),
        # Every test's browser comes from loopback, as through a proxy that names none: the limits
        # per address are tested with addresses of their own (X-Forwarded-For, or identity's API).
        trusted_proxies="127.0.0.1",
    )
    portal = Stack(config)
    try:
        await portal.start_infrastructure()
        leaks.SENSITIVE.remember_stack_secrets(portal.secrets)
        # PORTAL_TEST_PROCESSES=identity,documents,... starts only those (to debug one service's tests)
        only = os.environ.get("PORTAL_TEST_PROCESSES")
        await portal.start_all(only.split(",") if only else None)
        yield portal
    finally:
        portal.stop_all()  # an embedded PostgreSQL goes with its directory (ephemeral), databases and all
        if config.admin_database_url and portal.service_dsns:  # an existing server: drop what the session made
            await drop_database(config.admin_database_url, config.database)
    # Last, once every process has written its last line: the leak scan (issue 12, part 8).
    leaks.assert_no_leaks(portal.log_dir, portal.outbox_dir)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        await chromium.close()


@pytest.fixture(scope="session")
def hin_idp(stack: Stack) -> TestIdentityProvider:
    """The test identity provider standing in for HIN (tests add their identities to it)."""
    assert stack.hin_idp is not None
    return stack.hin_idp


@pytest.fixture(scope="session")
async def hospital(stack: Stack) -> AsyncIterator[Hospital]:
    nc = await stack.connect_nats("hospital")
    yield Hospital(nc)
    await nc.close()


@pytest.fixture(scope="session")
async def portal_events(stack: Stack) -> AsyncIterator[PortalEvents]:
    """Everything the portal publishes for the hospital, as the hospital sees it."""
    nc = await stack.connect_nats("hospital")
    events = PortalEvents()
    await events.follow(nc.jetstream())
    yield events
    await events.stop()
    await nc.close()


@pytest.fixture(scope="session")
async def physicians(stack: Stack) -> AsyncIterator[Physicians]:
    registry = Physicians(stack)
    await registry.open()
    yield registry
    await registry.close()


async def _service_schema(stack: Stack, service: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(
        stack.service_dsns[service], min_size=1, max_size=2, server_settings={"search_path": service}
    )
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def documents_db(stack: Stack) -> AsyncIterator[asyncpg.Pool]:
    """The documents service's schema, as its own role sees it (to move its clock, or look at storage)."""
    async for pool in _service_schema(stack, "documents"):
        yield pool


@pytest.fixture(scope="session")
async def requests_db(stack: Stack) -> AsyncIterator[asyncpg.Pool]:
    """The requests service's schema, as its own role sees it."""
    async for pool in _service_schema(stack, "requests"):
        yield pool


@pytest.fixture(scope="session")
async def notify_db(stack: Stack) -> AsyncIterator[asyncpg.Pool]:
    """Notify's schema, as its own role sees it (its ledgers, what waits for the daily summary)."""
    async for pool in _service_schema(stack, "notify"):
        yield pool


@pytest.fixture
async def web(stack: Stack) -> AsyncIterator[WebClient]:
    """A physician's browser without a browser (HTTP with a cookie jar), fresh for each test."""
    client = WebClient(stack)
    yield client
    await client.close()


@pytest.fixture
async def sign_in(stack: Stack, physicians: Physicians) -> AsyncIterator[SignIn]:
    """Browsers holding the session of an account logged in through identity (closed after the test)."""
    clients: list[WebClient] = []

    async def signed_in(account: Physician) -> WebClient:
        session = await physicians.login(account)
        client = WebClient(stack)
        client.session.cookie_jar.update_cookies({"portal_session": session.secret}, URL(client.base))
        clients.append(client)
        return client

    yield signed_in
    for client in clients:
        await client.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by what it runs on, read from the fixtures it uses (directly or through others):
    `stack` for the session's portal, `browser` for Chromium, `unit` for neither. The drills are
    marked `drill` by hand (they start stacks of their own). The session fixtures are not autouse:
    a run that deselects every test needing them (`-m unit`) starts none of them. A test marked
    `unit` by hand that uses them is an error: `-m unit` would start them."""
    for item in items:
        if item.get_closest_marker("drill"):
            continue
        uses = set(getattr(item, "fixturenames", ()))
        marks = [
            mark
            for fixture, mark in (("stack", pytest.mark.stack), ("browser", pytest.mark.browser))
            if fixture in uses
        ]
        if marks and item.get_closest_marker("unit"):
            raise pytest.UsageError(f"{item.nodeid} is marked unit but uses the stack or Chromium")
        for mark in marks or [pytest.mark.unit]:
            item.add_marker(mark)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The drills' figures, one line each, after the run."""
    from .drills.harness import REPORT

    if REPORT:
        terminalreporter.section("failure drills")
        for figures in REPORT:
            terminalreporter.write_line(figures.line())
