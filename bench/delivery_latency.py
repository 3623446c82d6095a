"""2. Delivery latency at a steady rate: from publish to the delivered event seen by the hospital."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from nats.aio.client import Client as NATS

from .context import Bench
from .hospital import Deliveries, Episodes, Outgoing, publish_one
from .processes import CpuUse
from .report import ms, percentile


@dataclass
class LatencyResult:
    sent: int
    latencies: list[float] = field(default_factory=list)
    to_portal_stream: list[float] = field(default_factory=list)  # publish -> the delivered event stored in PORTAL
    undelivered: int = 0
    late_start: float = 0.0  # the worst lag of a publish behind its schedule
    achieved_rate: float = 0.0
    cpu: str = ""

    @property
    def missing(self) -> int:
        return self.sent - len(self.latencies) - self.undelivered


async def measure_latency(
    nc: NATS, messages: list[Outgoing], rate: float, cpu: CpuUse, timeout: float = 30
) -> LatencyResult:
    """Publish message i at start + i / rate (a monotonic schedule: no drift), match deliveries by document id."""
    js = nc.jetstream()
    sent: dict[str, float] = {}
    sent_wall: dict[str, float] = {}
    acks = []
    result = LatencyResult(sent=len(messages))
    async with Deliveries().following(nc) as follower:
        with cpu.measuring():
            start = time.monotonic() + 0.05
            for number, message in enumerate(messages):
                due = start + number / rate
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                now = time.monotonic()
                result.late_start = max(result.late_start, now - due)
                sent[message.document_id], sent_wall[message.document_id] = now, time.time()
                acks.append(await publish_one(js, message))
            result.achieved_rate = len(messages) / max(1e-9, time.monotonic() - start)
            failed = [a for a in await asyncio.gather(*acks, return_exceptions=True) if isinstance(a, BaseException)]
            if failed:
                raise RuntimeError(f"{len(failed)} publishes not acknowledged ({failed[0]!r})")
            await follower.wait_for(set(sent), timeout)
        result.cpu = cpu.line()
        result.latencies = [follower.delivered[i] - t for i, t in sent.items() if i in follower.delivered]
        result.to_portal_stream = [follower.stored[i] - t for i, t in sent_wall.items() if i in follower.stored]
        result.undelivered = sum(1 for i in sent if i in follower.undelivered)
    return result


async def latency_section(bench: Bench, nc: NATS, episodes: Episodes, size: int) -> None:
    args, report = bench.args, bench.report
    count = int(args.rate * args.latency_seconds)
    report.title(
        f"2. Delivery latency at a steady {args.rate:g} documents/s for {args.latency_seconds:g} s ({count:,} documents)"
    )
    messages = episodes.documents(count, size)
    bench.phase("latency")
    result = await measure_latency(nc, messages, args.rate, bench.cpu())
    if not result.latencies:
        report.failed("delivery latency", "no document was delivered")
        return
    p99 = percentile(result.latencies, 0.99)
    report.figure("delivery latency p50", ms(percentile(result.latencies, 0.50)))
    report.figure(
        "delivery latency p99", ms(p99), "≤ 200 ms", p99 <= 0.200 and result.missing == 0 and result.undelivered == 0
    )
    over = sum(1 for latency in result.latencies if latency > 0.200)
    report.note(
        f"p90 {ms(percentile(result.latencies, 0.90))}, p95 {ms(percentile(result.latencies, 0.95))}, {over} over 200 ms"
    )
    if result.to_portal_stream:
        report.note(
            f"publish -> delivered event stored in PORTAL (server clock): p50 "
            f"{ms(percentile(result.to_portal_stream, 0.50))}, p99 {ms(percentile(result.to_portal_stream, 0.99))}"
        )
    report.note(
        f"max {ms(max(result.latencies))}; published at {result.achieved_rate:.1f}/s, worst lag behind "
        f"schedule {ms(result.late_start)}; undelivered {result.undelivered}, never seen {result.missing}"
    )
    report.note(result.cpu)
    await bench.drain("the latency run")
