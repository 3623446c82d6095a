"""3. Mes documents over HTTP: concurrent logged-in physicians asking random pages, keep-alive."""

from __future__ import annotations

import asyncio
import gc
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from deploy.seed_documents import seed
from deploy.stack import free_port

from .context import Bench
from .keep_alive import HttpError, KeepAliveClient
from .physicians import Browser, create_physicians, logged_in_browsers
from .processes import CpuUse
from .report import ms, percentile, rate
from .running_stack import documents_pool, vacuum

PER_PAGE = 25  # the gateway's page size
SATURATED = 0.85  # cores: a gateway this busy is the bottleneck, so two are measured as well


@dataclass
class PagesResult:
    seconds: float
    latencies: list[float] = field(default_factory=list)  # of the 200 answers
    answers: Counter[str] = field(default_factory=Counter)  # status (or error) -> count
    body_bytes: int = 0
    cpu: str = ""
    shares: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> int:
        return self.answers.get("200", 0)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds

    @property
    def errors(self) -> dict[str, int]:
        return {status: n for status, n in self.answers.items() if status != "200"}


async def first_pages(browsers: list[Browser], bases: list[str], path: str = "/documents?page=1") -> None:
    """Every physician sees page 1 of their documents (the sessions work through every gateway)."""
    for number, browser in enumerate(browsers):
        for base in bases:
            async with browser.session.get(f"{base}{path}", allow_redirects=False) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"GET {base}{path} answered {response.status} for account {number}")


async def measure_pages(
    browsers: list[Browser], bases: list[str], path: Callable[[], str], seconds: float, warm_up: float, cpu: CpuUse
) -> PagesResult:
    """Each browser loops on GET path() (/documents?page=<random>) for warm_up + seconds; only the
    last `seconds` count.

    The requests go through a lean keep-alive client (see keep_alive.py) with the browser's cookies.
    Browser i talks to gateway i % len(bases). A request counts when it starts and ends in the window.
    """
    result = PagesResult(seconds=seconds)
    # The seeding's garbage is gone and what is left lives on: the collector's full passes over it
    # would otherwise pause the load generator, and count as page latency.
    gc.collect()
    gc.freeze()
    loop_start = time.monotonic()
    window_start, window_end = loop_start + warm_up, loop_start + warm_up + seconds

    async def client(browser: Browser, base: str) -> None:
        connection = KeepAliveClient.of(browser, base)
        try:
            while (started := time.monotonic()) < window_end:
                try:
                    async with asyncio.timeout(60):
                        answered, body = await connection.get(path())
                    status = str(answered)
                except (TimeoutError, OSError, HttpError, asyncio.IncompleteReadError) as exc:
                    status, body = type(exc).__name__, b""
                    await connection.close()
                record(started, status, body)
        finally:
            await connection.close()

    def record(started: float, status: str, body: bytes) -> None:
        ended = time.monotonic()
        if started >= window_start and ended <= window_end:
            result.answers[status] += 1
            result.body_bytes += len(body)
            if status == "200":
                result.latencies.append(ended - started)

    async def measured() -> None:
        await asyncio.sleep(max(0.0, window_start - time.monotonic()))
        with cpu.measuring():
            await asyncio.sleep(max(0.0, window_end - time.monotonic()))

    await asyncio.gather(measured(), *(client(b, bases[i % len(bases)]) for i, b in enumerate(browsers)))
    result.cpu, result.shares = cpu.line(), dict(cpu.shares)
    return result


async def mes_documents_section(bench: Bench) -> None:
    """Seed, log everyone in over HTTP, load one gateway (and two, if one is saturated or asked for)."""
    stack, args, report = bench.stack, bench.args, bench.report
    report.title(
        f"3. Mes documents over HTTP: {args.physicians} physicians × {args.per_physician:,} documents, "
        f"random pages, {args.load_seconds:g} s"
    )
    started = time.monotonic()
    bench.phase("Mes documents: seeding and logins")
    physicians = await create_physicians(stack, args.physicians)
    pool = await documents_pool(stack)
    try:
        await seed(pool, physicians, args.per_physician, args.patients)
    finally:
        await pool.close()
    await vacuum(stack)  # after the earlier measurements' writes and this load
    report.note(
        f"seeded {args.physicians * args.per_physician:,} deliveries with COPY and vacuumed the database "
        f"in {time.monotonic() - started:.0f} s"
    )
    base = stack.config.public_url
    browsers = await logged_in_browsers(physicians, base, stack.outbox_dir)
    extra: str | None = None
    pages = -(-args.per_physician // PER_PAGE)
    try:
        counts = [1, 2] if args.gateways == "1,2" else [1]
        for count in counts:  # may grow by one while iterating (auto)
            bases = [base]
            if count == 2:
                port = free_port()
                extra = stack.start_process("gateway", copy=2, overrides={"PORTAL_HTTP_PORT": str(port)})
                await stack.wait_ready([extra], gateway_url=f"http://127.0.0.1:{port}")
                bases.append(f"http://127.0.0.1:{port}")
            await first_pages(browsers, bases)
            bench.phase(f"Mes documents: pages, {count} gateway(s)")
            result = await measure_pages(
                browsers,
                bases,
                lambda: f"/documents?page={random.randint(1, pages)}",
                args.load_seconds,
                args.warm_up,
                bench.cpu(),
            )
            _report_pages(bench, result, f"{count} gateway process{'es' if count > 1 else ''}", judged=count == 1)
            gateway_cores = max(
                (share for name, share in result.shares.items() if name.startswith("gateway")), default=0
            )
            if args.gateways == "auto" and count == 1 and gateway_cores >= SATURATED:
                report.note(
                    f"the gateway used {gateway_cores:.2f} of a core: measuring again with two gateway processes"
                )
                counts.append(2)
    finally:
        await asyncio.gather(*(b.close() for b in browsers))
        if extra is not None:
            stack.stop_process(extra)


def _report_pages(bench: Bench, result: PagesResult, label: str, judged: bool) -> None:
    """The figures; judged against the floors only for the portal as deployed (one process of
    each service). A second gateway on the same two cores is shown for how it scales: the
    machine is then saturated, and its floors would measure the machine, not the portal."""
    report = bench.report
    if not result.latencies:
        report.failed(f"Mes documents, {label}", f"no page answered 200 ({dict(result.answers)})")
        return
    if result.errors:
        report.failed(f"Mes documents, {label}", f"answers other than 200: {result.errors}")
    p99 = percentile(result.latencies, 0.99)
    report.figure(
        f"pages/s, {label}",
        rate(result.rate, "pages/s"),
        *(("≥ 600 pages/s (aim 1,500)", result.rate >= 600) if judged else ()),
    )
    report.figure(f"page latency p50, {label}", ms(percentile(result.latencies, 0.50)))
    report.figure(f"page latency p99, {label}", ms(p99), *(("≤ 100 ms", p99 <= 0.100) if judged else ()))
    if not judged:
        report.note("shown for scaling, not judged: two gateways and every other process on the same two cores")
    answered = max(1, sum(result.answers.values()))
    report.note(
        f"{result.ok:,} pages of {result.body_bytes / answered / 1000:.1f} KB; errors: {result.errors or 'none'}"
    )
    report.note(result.cpu)
