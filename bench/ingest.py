"""1. Ingest: documents per second from `dpi.documents` publish to `portal.documents.delivered`."""

from __future__ import annotations

import time
from dataclasses import dataclass

from nats.aio.client import Client as NATS

from .context import Bench
from .hospital import Deliveries, Episodes, Outgoing, publish_pipelined
from .insert_ceiling import report_ceiling
from .processes import CpuUse
from .report import rate

SLICE = 10.0


@dataclass
class IngestResult:
    documents: int
    delivered: int
    undelivered: int
    seconds: float  # first publish -> last delivered seen (or the deadline)
    publish_seconds: float  # first publish -> last stream ack
    complete: bool
    cpu: str
    per_slice: list[float]  # deliveries per second in consecutive slices of SLICE seconds

    @property
    def rate(self) -> float:
        return self.delivered / self.seconds if self.seconds else 0.0


async def warm_up(nc: NATS, episodes: Episodes, size: int) -> None:
    """One document per episode, delivered before the clock starts (caches, pools, JIT-free warm paths)."""
    messages = episodes.documents(episodes.count, size)
    async with Deliveries().following(nc) as follower:
        await publish_pipelined(nc.jetstream(), messages)
        ids = {m.document_id for m in messages}
        if not await follower.wait_for(ids, 60) or follower.undelivered:
            raise RuntimeError(f"warm-up documents not delivered (undelivered: {follower.undelivered})")


async def measure_ingest(nc: NATS, messages: list[Outgoing], cpu: CpuUse, timeout: float) -> IngestResult:
    """Publish every (pre-built) message pipelined; wait until each one's outcome is on PORTAL."""
    ids = {m.document_id for m in messages}
    async with Deliveries().following(nc) as follower:
        with cpu.measuring():
            started = time.monotonic()
            await publish_pipelined(nc.jetstream(), messages)
            published = time.monotonic() - started
            complete = await follower.wait_for(ids, timeout)
        delivered = [follower.delivered[i] for i in ids if i in follower.delivered]
        end = max(delivered) if complete and delivered else time.monotonic()
        slices = [0] * (int((end - started) // SLICE) + 1)
        for seen in delivered:
            slices[min(len(slices) - 1, int((seen - started) // SLICE))] += 1
        return IngestResult(
            documents=len(messages),
            delivered=len(delivered),
            undelivered=sum(1 for i in ids if i in follower.undelivered),
            seconds=end - started,
            publish_seconds=published,
            complete=complete,
            cpu=cpu.line(),
            per_slice=[count / SLICE for count in slices],
        )


async def ingest_section(bench: Bench, nc: NATS, episodes: Episodes, size: int) -> None:
    args, report = bench.args, bench.report
    report.title(
        f"1. Ingest: {args.documents:,} documents of {size // 1024} KiB, one physician, {episodes.count} episodes"
    )
    messages = episodes.documents(args.documents, size)  # built before the clock starts
    bench.phase("ingest")
    result = await measure_ingest(nc, messages, bench.cpu(), args.ingest_timeout)
    if not result.complete:
        report.note(
            f"gave up after {result.seconds:.0f} s: {result.delivered:,} delivered, {result.undelivered:,} undelivered"
        )
    report.figure(
        "ingest, publish -> delivered seen",
        rate(result.rate, "docs/s"),
        "≥ 500 docs/s (aim 1,000)",
        result.complete and result.undelivered == 0 and result.rate >= 500,
    )
    report.note(
        f"{result.delivered:,} delivered in {result.seconds:.1f} s; all published and acked in "
        f"{result.publish_seconds:.1f} s ({result.documents / result.publish_seconds:,.0f}/s); "
        f"undelivered {result.undelivered}"
    )
    report.note("deliveries per second, 10 s at a time: " + ", ".join(f"{r:.0f}" for r in result.per_slice))
    report.note(result.cpu)
    await bench.drain("the ingest")
    bench.phase("asyncpg ceiling")
    await report_ceiling(bench, messages, result.rate)
