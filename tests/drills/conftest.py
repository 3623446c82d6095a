"""The drills' own portal: a stack of real processes under a supervisor, apart from the other tests'.

A drill stops PostgreSQL, kills nats-server or the services: it gets a stack of its own, so that
no other test sees its faults. The stack is started once for the drills that can share it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from nats.aio.client import Client as NATS

from deploy.stack import Stack, StackConfig, free_port
from deploy.supervisor import Supervisor

from .. import leaks
from ..portal import Physicians
from .harness import Ledger

OUTAGE_ALERT_SECONDS = 3
"""Short, so that a drill's outage also raises its alert (logged, and on the metrics)."""


@dataclass
class Drilled:
    """A running stack, its supervisor, and the hospital's connection to it."""

    stack: Stack
    supervisor: Supervisor
    hospital: NATS
    ops: NATS
    physicians: Physicians
    ledger: Ledger


async def start_drilled(tmp: pytest.TempPathFactory, nats_nodes: int = 1) -> tuple[Drilled, asyncio.Task[None]]:
    config = StackConfig(
        var_dir=tmp.mktemp("drill"),
        environment="dev",
        ephemeral=True,
        http_port=free_port(),
        nats_port=free_port(),
        smtp_port=free_port(),
        sms_port=free_port(),
        database=f"portal_drill_{uuid.uuid4().hex[:8]}",
        log_level="INFO",
        pending_sweep_seconds=1,
        nats_nodes=nats_nodes,
        outage_alert_seconds=OUTAGE_ALERT_SECONDS,
    )
    stack = Stack(config)
    await stack.start_infrastructure()
    leaks.SENSITIVE.remember_stack_secrets(stack.secrets)
    await stack.start_all()
    supervisor = Supervisor(stack)
    watching = asyncio.create_task(supervisor.run())
    hospital = await stack.connect_nats("hospital", reconnect=True)
    ops = await stack.connect_nats("ops", reconnect=True)
    physicians = Physicians(stack, reconnect=True)
    await physicians.open()
    return Drilled(stack, supervisor, hospital, ops, physicians, Ledger(stack)), watching


async def stop_drilled(drilled: Drilled, watching: asyncio.Task[None]) -> None:
    watching.cancel()
    await asyncio.gather(watching, return_exceptions=True)
    await drilled.ledger.close()
    await drilled.physicians.close()
    await drilled.hospital.close()
    await drilled.ops.close()
    drilled.stack.stop_all()
    leaks.assert_no_leaks(drilled.stack.log_dir, drilled.stack.outbox_dir)  # faults are where tracebacks quote values


@pytest.fixture(scope="session")
async def drilled(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Drilled]:
    """One nats-server, one copy of each process, restarted by the supervisor when it dies."""
    running, watching = await start_drilled(tmp_path_factory)
    try:
        yield running
    finally:
        await stop_drilled(running, watching)
