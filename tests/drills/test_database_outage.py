"""Drill 1: PostgreSQL stopped for 5 s in the middle of a burst of 2,000 documents.

Nothing may be lost, rejected or done twice: every document delivered once, one delivered event
and one audit record for each, and every 'new documents' email sent exactly once. Ops see it:
the documents service is not ready during the outage, raises its alert, and logs its end.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from deploy.stack import Stack

from ..portal import eventually
from .conftest import Drilled
from .harness import (
    Burst,
    Figures,
    create_doctors,
    judge,
    publish_burst,
    settled,
    under_way,
)

pytestmark = pytest.mark.drill

DOCUMENTS = 2000
OUTAGE_SECONDS = 5.0


async def test_a_database_outage_mid_burst_loses_rejects_and_repeats_nothing(drilled: Drilled) -> None:
    stack = drilled.stack
    doctors = await create_doctors(drilled.physicians, 10)
    burst = Burst(doctors, episodes=40, documents=DOCUMENTS)
    figures = Figures("PostgreSQL stopped 5 s mid-burst")

    publishing = asyncio.create_task(publish_burst(drilled.hospital, burst))
    await under_way(drilled, burst, 0.1)
    stack.stop_postgres()
    stopped = time.monotonic()
    readiness = await eventually(
        lambda: not_ready(stack, "documents"), timeout=OUTAGE_SECONDS, what="documents not ready"
    )
    await asyncio.sleep(OUTAGE_SECONDS - (time.monotonic() - stopped))  # the outage lasts this long, on purpose
    stack.start_postgres()
    back = time.monotonic()
    await publishing
    done = await settled(drilled, burst, timeout=120)
    figures.recovery_seconds = done - back
    await judge(drilled, burst, figures)

    # Ops saw it: not ready while the database was away, an alert past 3 s, the end logged.
    assert readiness["checks"]["database"] == "unavailable"
    log = (stack.log_dir / "documents.log").read_text()
    assert "ALERT outage: database unavailable" in log and "outage over: database back after" in log
    assert await eventually(lambda: ready_again(stack, "documents"), timeout=10, what="documents ready again")


async def not_ready(stack: Stack, process: str) -> dict | None:
    """The process's /readyz answer while it says it is not ready."""
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{stack.metrics_ports[process]}/readyz") as response:
            return await response.json() if response.status == 503 else None


async def ready_again(stack: Stack, process: str) -> bool | None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{stack.metrics_ports[process]}/readyz") as response:
            return True if response.status == 200 else None
