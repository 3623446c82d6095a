"""Drill 5: every process restarted one at a time (SIGTERM, as a deployment does) under a steady
load: 50 physicians browsing through a load balancer in front of two gateways, and the
hospital publishing 100 documents a second. No page request may fail, no document be lost.

Two copies of each service run, as in production: while one restarts, the other serves.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from yarl import URL

from deploy.stack import SERVICES, free_port

from .balancer import Balancer
from .conftest import Drilled
from .harness import (
    Burst,
    Figures,
    create_doctors,
    judge,
    publish_until_acknowledged,
    settled,
)

pytestmark = pytest.mark.drill

BROWSERS = 50
DOCUMENTS_PER_SECOND = 100
THINK_SECONDS = (0.2, 0.8)  # a physician reads a page before asking the next


@dataclass
class Browsing:
    """What the physicians' browsers got back."""

    answers: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    restarting: str = "nothing"  # the process being restarted now, told with each failure

    @property
    def pages(self) -> int:
        return sum(self.answers.values())


async def browse(base: str, session_secret: str, stop: asyncio.Event, seen: Browsing) -> None:
    """One physician going through Mes documents and Mes patients until told to stop."""
    jar = aiohttp.CookieJar(unsafe=True)
    jar.update_cookies({"portal_session": session_secret}, URL(base))
    async with aiohttp.ClientSession(cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=20)) as http:
        for page in itertools.cycle(["/documents", "/patients", "/profile"]):
            if stop.is_set():
                return
            try:
                async with http.get(base + page, allow_redirects=False) as response:
                    await response.read()
                    status = str(response.status)
            except (TimeoutError, aiohttp.ClientError) as exc:
                status = type(exc).__name__
            seen.answers[status] += 1
            if status != "200":
                seen.failures.append(f"{page}: {status} at {time.strftime('%H:%M:%S')} restarting {seen.restarting}")
            await asyncio.sleep(random.uniform(*THINK_SECONDS))


async def publish_steadily(drilled: Drilled, burst: Burst, stop: asyncio.Event) -> int:
    """100 documents a second, on a monotonic schedule, until told to stop; how many were published."""
    started, sent = time.monotonic(), 0
    tick = 0.1
    while not stop.is_set() and sent < len(burst.messages):
        due = int((time.monotonic() - started) * DOCUMENTS_PER_SECOND)
        if due > sent:
            part = burst.messages[sent:due]
            await publish_until_acknowledged(drilled.hospital, "dpi.documents", part)
            sent = due
        await asyncio.sleep(tick)
    return sent


async def test_every_process_restarted_in_turn_under_load_fails_no_page_and_loses_no_document(drilled: Drilled) -> None:
    stack = drilled.stack
    copies = [stack.start_process(service, copy=2) for service in SERVICES]
    second_gateway = stack.start_process("gateway", copy=2, overrides={"PORTAL_HTTP_PORT": str(free_port())})
    copies.append(second_gateway)
    await stack.wait_ready(copies)
    balancer = Balancer([stack.config.public_url, stack.gateway_urls[second_gateway]], free_port())
    await balancer.start()

    doctors = await create_doctors(drilled.physicians, BROWSERS)
    sessions = [await drilled.physicians.login(doctor) for doctor in doctors]
    burst = Burst(doctors[:10], episodes=40, documents=DOCUMENTS_PER_SECOND * 180)
    await publish_until_acknowledged(drilled.hospital, "dpi.designations", burst.designations())
    figures = Figures(
        f"every process restarted in turn, {BROWSERS} browsers, two gateways, {DOCUMENTS_PER_SECOND} documents/s"
    )

    stop = asyncio.Event()
    seen = Browsing()
    browsers = [asyncio.create_task(browse(balancer.url, s.secret, stop, seen)) for s in sessions]
    publishing = asyncio.create_task(publish_steadily(drilled, burst, stop))
    order = ["gateway", second_gateway, *(key for service in SERVICES for key in (service, f"{service}-2")), "outbox"]
    restarted_at = []
    try:
        await asyncio.sleep(3)  # the load runs before the first restart
        for key in order:
            await stack.restart_gracefully(key)
            restarted_at.append(time.monotonic())
        await asyncio.sleep(3)  # and after the last
    finally:
        stop.set()
        published = await publishing
        await asyncio.gather(*browsers, return_exceptions=True)
        await balancer.stop()

    burst.messages = burst.messages[:published]
    done = await settled(drilled, burst, timeout=120)
    figures.recovery_seconds = done - restarted_at[-1]
    for key in copies:
        stack.stop_process(key)
    notes = {"failed pages": len(seen.failures), "retried by the balancer": balancer.retried}
    await judge(drilled, burst, figures, pages=seen.pages, restarts=len(order), **notes)
    assert seen.pages > BROWSERS * 10 and not seen.failures, (seen.answers, seen.failures[:10], troubles(stack.log_dir))


def troubles(log_dir: Path) -> list[str]:
    """The processes' warnings and errors, and the gateways' failed pages: why pages failed."""
    lines = []
    for log in sorted(log_dir.glob("*.log"), key=lambda log: (not log.stem.startswith("gateway"), log.stem)):
        for line in log.read_text(errors="replace").splitlines():
            if " WARNING " in line or " ERROR " in line or re.search(r" 5\d\d \d+ [\d.]+ms$", line):
                lines.append(f"{log.stem}: {line}")
    return lines[:60]
