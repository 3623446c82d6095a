"""Drill 6: notify killed (-9) while 200 login codes and temporary-password emails are queued.

Notify is frozen (SIGSTOP) while 100 physicians ask for a login code and an administrator gives
100 temporary passwords: the 200 commands wait on the NOTIFY stream. It is let go, killed as soon
as it is sending, and restarted by the supervisor. Each code must reach the SMS provider and each
password the mail server exactly once, and none be left in doubt.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter

import asyncpg
import pytest

from common.contracts import accounts, identity
from deploy.dev_outbox import REPEATS

from ..portal import Physician, eventually, outbox_messages
from .conftest import Drilled
from .harness import REPORT, Figures, create_doctors

pytestmark = pytest.mark.drill

QUEUED = 100  # of each: codes, and temporary passwords


async def test_notify_killed_with_200_notifications_queued_sends_each_exactly_once(drilled: Drilled) -> None:
    stack, supervisor, physicians = drilled.stack, drilled.supervisor, drilled.physicians
    doctors = await create_doctors(physicians, QUEUED)
    admin = await physicians.create(role="admin")
    admin_token = (await physicians.login(admin)).token
    figures = Figures("notify killed (-9) with 100 codes and 100 temporary passwords queued")
    outbox = stack.outbox_dir
    repeats_before = _repeats(outbox)

    notify = stack.processes["notify"]
    since = time.time_ns()
    os.kill(notify.pid, signal.SIGSTOP)
    try:
        # Ten browsers at a time: a hundred argon2 checks at once outlast a request's 5 s on a
        # loaded 2-core machine, and the drill is about notify, not login latency.
        asking = asyncio.Semaphore(10)
        await asyncio.gather(*(_ask_code(drilled, doctor, asking) for doctor in doctors))
        for doctor in doctors:
            await physicians.call(accounts.RESET_PASSWORD, accounts.AccountRef(id=doctor.account_id), token=admin_token)
    finally:
        os.kill(notify.pid, signal.SIGCONT)

    def received() -> tuple[Counter[str], Counter[str]]:
        sms = Counter(m["to"] for m in outbox_messages(outbox, "sms", None, since) if "connexion" in m["body"])
        emails = Counter(m["to"] for m in outbox_messages(outbox, "email", None, since) if "provisoire" in m["body"])
        return sms, emails

    async def sending() -> bool | None:
        return True if sum(map(sum, map(Counter.values, received()))) >= 20 else None

    await eventually(sending, timeout=60, what="notify sending again")
    killed_at = time.monotonic()
    stack.kill("notify")
    await eventually(
        lambda: asyncio.sleep(0, supervisor.restarted_since("notify", killed_at)), timeout=30, what="notify restarted"
    )

    async def all_received() -> bool | None:
        sms, emails = received()
        return True if len(sms) == QUEUED and len(emails) == QUEUED else None

    await eventually(all_received, timeout=90, what="every code and password received")
    done = time.monotonic()
    sms, emails = received()
    states = await _ledger_states(drilled)
    figures.published = 2 * QUEUED
    figures.delivered = len(sms) + len(emails)
    figures.duplicated = sum(1 for n in (*sms.values(), *emails.values()) if n > 1)
    figures.lost = 2 * QUEUED - figures.delivered
    figures.recovery_seconds = done - killed_at
    figures.notes.update(
        {
            "handed over again after the crash (taken once)": _repeats(outbox) - repeats_before,
            "left uncertain": states.get("uncertain", 0),
        }
    )
    REPORT.append(figures)
    print(figures.line())
    assert set(sms) == {doctor.mobile for doctor in doctors} and set(sms.values()) == {1}, figures.line()
    assert set(emails) == {_email(doctor) for doctor in doctors} and set(emails.values()) == {1}, figures.line()
    assert states.get("uncertain", 0) == 0 and set(states) <= {"sent"}, states


async def _ask_code(drilled: Drilled, doctor: Physician, asking: asyncio.Semaphore) -> None:
    async with asking:
        await drilled.physicians.call(
            identity.LOG_IN_WITH_PASSWORD, identity.PasswordLogin(login=doctor.login, password=doctor.password)
        )


def _email(doctor: Physician) -> str:
    return f"{doctor.login}@cabinet.example.ch"


def _repeats(outbox: os.PathLike[str]) -> int:
    path = os.path.join(outbox, REPEATS)
    if not os.path.exists(path):
        return 0
    with open(path, encoding="utf-8") as file:
        return sum(1 for _ in file)


async def _ledger_states(drilled: Drilled) -> Counter[str]:
    """The states of the codes and passwords notify recorded for this drill."""
    conn = await asyncpg.connect(drilled.stack.service_dsns["notify"], server_settings={"search_path": "notify"})
    try:
        rows = await conn.fetch(
            "SELECT state FROM outgoing_sms WHERE kind = 'code.login' AND created_at > now() - interval '10 minutes' "
            "UNION ALL SELECT state FROM outgoing_emails WHERE kind LIKE 'temporary_password.%' "
            "AND created_at > now() - interval '10 minutes'"
        )
    finally:
        await conn.close()
    return Counter(row["state"] for row in rows)
