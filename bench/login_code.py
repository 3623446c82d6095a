"""6. The login code's way: from the password being accepted to the SMS reaching the provider.

Physicians type their password at a steady rate, as the gateway asks identity; identity's answer
is the moment the password is accepted. The code then goes through identity's outbox, the NOTIFY
stream, notify's ledger and its sender to the SMS provider (the dev outbox, whose file name is
the moment it took the message). Floor: p99 at most 500 ms.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

from common.bus import call
from common.contracts import identity

from .context import Bench
from .physicians import Physician, create_physicians
from .report import ms, percentile

LOGINS = 200
PER_SECOND = 10.0
FLOOR_SECONDS = 0.500


async def login_code_section(bench: Bench) -> None:
    report, stack = bench.report, bench.stack
    report.title(f"6. Login code: {LOGINS} password steps at {PER_SECOND:.0f}/s, until the SMS reaches the provider")
    bench.phase("login codes")
    physicians = await create_physicians(stack, LOGINS)
    accepted: dict[str, int] = {}  # mobile -> time_ns the password was accepted
    nc = await stack.connect_nats("gateway")
    try:

        async def password_step(physician: Physician) -> None:
            await call(
                nc,
                identity.LOG_IN_WITH_PASSWORD,
                identity.PasswordLogin(login=physician.login, password=physician.password),
                timeout=30,
            )
            accepted[physician.mobile] = time.time_ns()

        since = time.time_ns()
        steps = []
        for number, physician in enumerate(physicians):
            await asyncio.sleep(max(0.0, number / PER_SECOND - (time.time_ns() - since) / 1e9))
            steps.append(asyncio.create_task(password_step(physician)))
        await asyncio.gather(*steps)
        received = await _received(stack.outbox_dir, {p.mobile for p in physicians}, since, timeout=60)
    finally:
        await nc.close()
    latencies = [max(0, received[mobile] - accepted[mobile]) / 1e9 for mobile in received]
    if len(latencies) < LOGINS:
        report.failed("login codes", f"{LOGINS - len(latencies)} SMS did not reach the provider within 60 s")
        return
    p99 = percentile(latencies, 0.99)
    report.figure("login code, accepted -> provider p50", ms(percentile(latencies, 0.50)))
    report.figure("login code, accepted -> provider p99", ms(p99), "≤ 500 ms", p99 <= FLOOR_SECONDS)
    report.note("through identity's outbox, the NOTIFY stream, notify's ledger and sender, to the dev outbox's API")


async def _received(outbox: Path, mobiles: set[str], since_ns: int, timeout: float) -> dict[str, int]:
    """mobile -> time_ns its first SMS since `since_ns` reached the provider (the file's stamp)."""
    found: dict[str, int] = {}
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while len(found) < len(mobiles) and time.monotonic() < deadline:
        for entry in sorted(os.scandir(outbox), key=lambda entry: entry.name):
            prefix = entry.name.split("-", 1)[0]
            if entry.name in seen or not entry.name.endswith(".json") or not prefix.isdigit():
                continue
            seen.add(entry.name)
            if int(prefix) < since_ns:
                continue
            to = _recipient(Path(entry.path))
            if to in mobiles and to not in found:
                found[to] = int(prefix)
        await asyncio.sleep(0.2)
    return found


def _recipient(path: Path) -> str | None:
    try:
        message = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return message.get("to") if message.get("kind") == "sms" else None
