"""How long the portal's durable consumers take to work off what a measurement left behind.

Between measurements the benchmark waits for the documents, audit and notify consumers to have
nothing pending, so that one measurement's tail (audit records, emails) does not weigh on the next.
"""

from __future__ import annotations

import asyncio
import time

from nats.aio.client import Client as NATS

from deploy.nats_accounts import DURABLE_CONSUMERS

CONSUMERS = tuple(DURABLE_CONSUMERS)  # (stream, durable) of every consumer of the portal


async def pending(nc: NATS) -> dict[str, int]:
    """Messages not yet processed (pending + in flight) per durable consumer."""
    js = nc.jetstream()
    counts = {}
    for stream, durable in CONSUMERS:
        try:
            info = await js.consumer_info(stream, durable)
        except Exception:  # not created yet: nothing consumed from it yet either
            counts[durable] = 0
            continue
        counts[durable] = (info.num_pending or 0) + (info.num_ack_pending or 0)
    return counts


async def drained(nc: NATS, timeout: float) -> tuple[dict[str, tuple[int, float]], dict[str, int]]:
    """Wait until every consumer is idle.

    Returns, for each consumer that had a backlog, (its backlog at the start, seconds until it
    was idle), and what was still left at the deadline (empty if everything drained).
    """
    started = time.monotonic()
    first = await pending(nc)
    idle_after: dict[str, float] = {}
    while True:
        counts = first if not idle_after and time.monotonic() - started < 0.01 else await pending(nc)
        for name, count in counts.items():
            if count == 0 and name not in idle_after:
                idle_after[name] = time.monotonic() - started
        left = {name: count for name, count in counts.items() if count}
        if not left or time.monotonic() - started > timeout:
            backlog = {name: (first[name], idle_after.get(name, float("nan"))) for name in first if first[name]}
            return backlog, left
        await asyncio.sleep(0.5)
