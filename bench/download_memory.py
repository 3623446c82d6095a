"""4b. The gateway's memory while ten large documents download at once.

The documents are put in the Object Store bucket `dpi-documents` by the hospital and announced
on `dpi.documents`, as the contract says for contents over 512 KiB; once delivered, one logged-in
physician downloads them all at once over HTTP, reading and discarding the bodies in pieces,
while the gateway's VmRSS is sampled every 50 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import asyncpg
from nats.aio.client import Client as NATS

from common.contracts import hospital as contract
from deploy import hospital_sim

from .context import Bench
from .hospital import Deliveries, Episodes
from .physicians import Browser, Physician, create_physicians
from .processes import status_kib
from .report import mb
from .running_stack import documents_pool

MIB = 1024 * 1024
FLOOR = 30_000_000  # bytes the downloads may add to the gateway
READ_SIZE = 64 * 1024
SAMPLE_EVERY = 0.05


@dataclass
class DownloadResult:
    ingest_seconds: float = 0.0
    rss_before: int = 0  # bytes
    rss_peak: int = 0
    seconds: float = 0.0
    received: list[int] = field(default_factory=list)  # bytes per download
    statuses: list[str] = field(default_factory=list)
    samples: int = 0

    @property
    def increase(self) -> int:
        return max(0, self.rss_peak - self.rss_before)


async def publish_large_documents(nc: NATS, physician: Physician, count: int, size: int, timeout: float) -> float:
    """`count` documents of `size` bytes through the Object Store, each in its own episode; seconds until all delivered."""
    js = nc.jetstream()
    store = await js.object_store("dpi-documents")
    episodes = Episodes(physician.gln, count)
    content = bytearray(b"%PDF-1.7\n" + os.urandom(size - 9))
    async with Deliveries().following(nc) as follower:
        await episodes.designate(js)
        started = time.monotonic()
        ids = set()
        for number in range(count):
            content[9:25] = os.urandom(16)  # each one different
            name = f"bench-{uuid.uuid4().hex}.pdf"
            await store.put(name, bytes(content))
            message = hospital_sim.document(
                episodes.ids[number],
                episodes.patients[number],
                b"",
                category="imaging_report",
                title=f"Imagerie {number}",
            )
            message["content"] = {
                "media_type": "application/pdf",
                "sha256": hashlib.sha256(content).hexdigest(),
                "object": name,
            }
            await hospital_sim.publish(js, contract.DOCUMENTS, message)
            ids.add(message["document"]["id"])
        if not await follower.wait_for(ids, timeout):
            raise RuntimeError(
                f"only {follower.outcomes(ids)} of {count} large documents had an outcome within {timeout:.0f} s"
            )
        if follower.undelivered:
            raise RuntimeError(f"large documents undelivered: {sorted(set(follower.undelivered.values()))}")
        return time.monotonic() - started


async def delivery_ids(pool: asyncpg.Pool, physician: Physician) -> list[str]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT id FROM deliveries WHERE account_id = $1 AND current", uuid.UUID(physician.account_id)
        )
    return [str(row["id"]) for row in rows]


def rss(pid: int) -> int:
    """The process's VmRSS in bytes (0 if it is gone)."""
    return (status_kib(pid, "VmRSS") or 0) * 1024


@contextlib.asynccontextmanager
async def rss_sampled(pid: int) -> AsyncIterator[list[int]]:
    """The process's VmRSS in bytes, every 50 ms while the block runs and once after it."""
    samples: list[int] = []

    async def sample() -> None:
        while True:
            if value := rss(pid):
                samples.append(value)
            await asyncio.sleep(SAMPLE_EVERY)

    sampler = asyncio.create_task(sample())
    try:
        yield samples
    finally:
        sampler.cancel()
        await asyncio.gather(sampler, return_exceptions=True)
        samples.append(rss(pid))


async def measure_downloads(browser: Browser, gateway_pid: int, ids: list[str]) -> DownloadResult:
    result = DownloadResult()
    await asyncio.sleep(0.5)
    result.rss_before = rss(gateway_pid)

    async def download(delivery_id: str) -> tuple[str, int]:
        received = 0
        try:
            async with browser.session.get(
                f"{browser.base}/documents/{delivery_id}/download",
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=300),
            ) as response:
                async for piece in response.content.iter_chunked(READ_SIZE):
                    received += len(piece)
                return str(response.status), received
        except (TimeoutError, aiohttp.ClientError) as exc:
            return type(exc).__name__, received

    started = time.monotonic()
    async with rss_sampled(gateway_pid) as samples:
        outcomes = await asyncio.gather(*(download(i) for i in ids))
        result.seconds = time.monotonic() - started
    result.statuses = [status for status, _ in outcomes]
    result.received = [received for _, received in outcomes]
    result.rss_peak, result.samples = max(samples), len(samples)
    return result


async def downloads_section(bench: Bench) -> None:
    stack, args, report = bench.stack, bench.args, bench.report
    report.title(f"4. Memory: the gateway while {args.downloads} documents of {args.download_mib} MiB download at once")
    hospital = await stack.connect_nats("hospital")
    pool = await documents_pool(stack, 2)
    browser = Browser(stack.config.public_url, connections=args.downloads)
    try:
        bench.phase("large documents through the Object Store")
        [physician] = await create_physicians(stack, 1)
        size = args.download_mib * MIB
        ingest = await publish_large_documents(hospital, physician, args.downloads, size, timeout=900)
        report.note(
            f"{args.downloads} × {args.download_mib} MiB put in the Object Store and delivered in {ingest:.1f} s"
        )
        ids = await delivery_ids(pool, physician)
        await browser.log_in(physician, stack.outbox_dir)
        bench.phase("downloads")
        result = await measure_downloads(browser, bench.peaks.table.pid_of("gateway"), ids)
    finally:
        await browser.close()
        await pool.close()
        await hospital.close()
    complete = all(s == "200" for s in result.statuses) and all(n == size for n in result.received)
    if not complete:
        report.note(f"downloads: statuses {result.statuses}, bytes {result.received}")
    report.figure(
        "gateway RSS increase, downloads at once", mb(result.increase), "≤ 30 MB", complete and result.increase <= FLOOR
    )
    total = sum(result.received) / MIB
    report.note(
        f"VmRSS before {mb(result.rss_before)}, peak {mb(result.rss_peak)} ({result.samples} samples every 50 ms); "
        f"{total:,.0f} MiB in {result.seconds:.1f} s ({total / result.seconds:,.0f} MiB/s)"
        + ("" if complete else " - INCOMPLETE")
    )
