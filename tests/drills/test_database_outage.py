"""Drill 1: PostgreSQL stopped for 5 s in the middle of a burst of 2,000 documents.

Nothing may be lost, rejected or done twice: every document delivered once, one delivered event
and one audit record for each, and every 'new documents' email sent exactly once.
"""
from __future__ import annotations

import asyncio
import time

import pytest

from .conftest import Drilled
from ..portal import eventually
from .harness import REPORT, Burst, Figures, count, create_doctors, email_figures, publish_burst, wait_until_delivered

pytestmark = pytest.mark.drill

DOCUMENTS = 2000
OUTAGE_SECONDS = 5.0


async def test_a_database_outage_mid_burst_loses_rejects_and_repeats_nothing(drilled: Drilled) -> None:
    stack, ledger = drilled.stack, drilled.ledger
    doctors = await create_doctors(drilled.physicians, 10)
    burst = Burst(doctors, episodes=40, documents=DOCUMENTS)
    figures = Figures("PostgreSQL stopped 5 s mid-burst")

    publishing = asyncio.create_task(publish_burst(drilled.hospital, burst))
    # Mid-burst: once a tenth of the documents are delivered.
    async def some_delivered() -> bool | None:
        return True if len(await ledger.deliveries(burst.document_ids)) >= DOCUMENTS // 10 else None

    await eventually(some_delivered, timeout=60, what="the burst under way")
    stack.stop_postgres()
    await asyncio.sleep(OUTAGE_SECONDS)  # the outage itself lasts this long, on purpose
    stack.start_postgres()
    back = time.monotonic()
    await publishing
    done = await wait_until_delivered(ledger, burst, timeout=120)
    figures.recovery_seconds = done - back
    details = await count(figures, ledger, drilled.hospital, burst, doctors)
    REPORT.append(figures)
    print(figures.line())
    assert (figures.lost, figures.rejected, figures.duplicated) == (0, 0, 0), (figures.line(), details)
    assert details["events missing"] == 0 and details["audit missing"] == 0, details

    emails = await email_figures(ledger, doctors)
    figures.notes.update(emails)
    assert emails["emails received twice"] == 0 and emails["emails not received"] == 0, emails
    assert emails["physicians without email"] == 0 and emails["emails uncertain"] == 0, emails
