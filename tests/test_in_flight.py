"""Requests to an endpoint are answered side by side, a bounded number at a time."""

from __future__ import annotations

import asyncio

from common.service import InFlight


async def test_a_slow_request_does_not_hold_the_next_one() -> None:
    """nats-py awaits the callback of each message before the next: the first request here only
    finishes once the second has run, which a one-at-a-time endpoint would never allow."""
    second_ran = asyncio.Event()
    answered: list[str] = []

    async def handler(request: str) -> None:
        if request == "first":
            await second_ran.wait()
        else:
            second_ran.set()
        answered.append(request)

    in_flight = InFlight(limit=4)
    handle = in_flight.concurrent(handler)  # type: ignore[arg-type]
    async with asyncio.timeout(5):
        await handle("first")  # type: ignore[arg-type]
        await handle("second")  # type: ignore[arg-type]
        await in_flight.finish()
    assert answered == ["second", "first"]


async def test_beyond_the_limit_a_request_waits_for_a_free_slot() -> None:
    release = asyncio.Event()
    started: list[int] = []

    async def handler(request: int) -> None:
        started.append(request)
        await release.wait()

    in_flight = InFlight(limit=2)
    handle = in_flight.concurrent(handler)  # type: ignore[arg-type]
    await handle(1)  # type: ignore[arg-type]
    await handle(2)  # type: ignore[arg-type]
    third = asyncio.create_task(handle(3))  # type: ignore[arg-type]
    await asyncio.sleep(0)  # let the two running handlers start
    assert started == [1, 2] and not third.done()
    release.set()
    async with asyncio.timeout(5):
        await third
        await in_flight.finish()
    assert started == [1, 2, 3]
