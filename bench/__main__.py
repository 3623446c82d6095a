"""Composition root of `make bench`: start the portal, measure, report, stop everything.

    python -m bench                                   # the issue's figures (about 10 minutes on 2 cores)
    python -m bench --only ingest --documents 5000    # a quicker look at one part

Exit status 0 whenever the measurements ran, even if a figure misses its floor (the last line
lists those); 1 if the stack itself could not start; 130 on Ctrl-C or SIGTERM. Every process
started is stopped, whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from common import event_loop
from deploy.stack import Stack

from . import machine
from .context import Bench
from .delivery_latency import latency_section
from .directory import directory_section
from .download_memory import downloads_section
from .hospital import KIB, Episodes
from .ingest import ingest_section, warm_up
from .login_code import login_code_section
from .mes_documents import mes_documents_section
from .peak_memory import PeakMemory, report_peaks
from .physicians import create_physicians
from .processes import ProcessTable
from .report import Report
from .request_files import request_files_section
from .running_stack import running_stack
from .staff_inbox import inbox_section

MEASUREMENTS = ("ingest", "latency", "pages", "downloads", "directory", "codes", "requests")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--only", default=",".join(MEASUREMENTS), help=f"comma-separated subset of {', '.join(MEASUREMENTS)}")
    add("--documents", type=int, default=20_000, help="ingest: documents published at once")
    add("--size-kib", type=int, default=10, help="ingest and latency: size of each PDF")
    add("--episodes", type=int, default=10, help="ingest and latency: episodes the documents are spread over")
    add("--ingest-timeout", type=float, default=900, help="ingest: give up after this many seconds")
    add("--rate", type=float, default=100, help="latency: documents per second")
    add("--latency-seconds", type=float, default=20, help="latency: how long")
    add("--physicians", type=int, default=50, help="Mes documents: concurrent physicians")
    add("--per-physician", type=int, default=10_000, help="Mes documents: documents of each")
    add("--patients", type=int, default=200, help="Mes documents: patients of each physician")
    add("--load-seconds", type=float, default=20, help="Mes documents and the inbox: measured window")
    add("--warm-up", type=float, default=3, help="Mes documents and the inbox: unmeasured seconds before the window")
    add(
        "--gateways",
        default="1,2",
        choices=("auto", "1", "1,2"),
        help="Mes documents: one gateway then two (as production runs several copies), one only, "
        "or two as well only if one is saturated (auto)",
    )
    add("--downloads", type=int, default=10, help="downloads: documents downloaded at once")
    add("--download-mib", type=int, default=50, help="downloads: size of each, MiB")
    add("--staff", type=int, default=50, help="requests: concurrent staff members of the service")
    add("--inbox-requests", type=int, default=100_000, help="requests: the service's requests")
    add("--submissions", type=int, default=30, help="requests: submissions measured, one after the other")
    add("--submission-mib", type=int, default=5, help="requests: size of each submission's PDF, MiB")
    add("--uploads", type=int, default=10, help="requests: PDFs uploaded at once")
    add("--upload-mib", type=int, default=20, help="requests: size of each, MiB")
    add("--log-level", default="INFO", help="the portal processes' LOG_LEVEL")
    args = parser.parse_args()
    args.only = {name.strip() for name in args.only.split(",") if name.strip()}
    if unknown := args.only - set(MEASUREMENTS):
        parser.error(f"unknown measurement(s): {', '.join(sorted(unknown))}")
    return args


async def hospital_side(bench: Bench) -> None:
    """1 and 2: one physician designated for a few episodes, warmed up, then ingest and latency."""
    size = bench.args.size_kib * KIB
    hospital = await bench.stack.connect_nats("hospital")
    try:
        bench.phase("ingest warm-up")
        [physician] = await create_physicians(bench.stack, 1)
        episodes = Episodes(physician.gln, bench.args.episodes)
        await episodes.designate(hospital.jetstream())
        await warm_up(hospital, episodes, size)
        await bench.drain("the warm-up")
        if "ingest" in bench.args.only:
            await ingest_section(bench, hospital, episodes, size)
        if "latency" in bench.args.only:
            await latency_section(bench, hospital, episodes, size)
    finally:
        await hospital.close()


async def measure_all(stack: Stack, problems: list[str], args: argparse.Namespace, report: Report) -> None:
    print(f"Stack started in {stack.config.var_dir} (database {stack.config.database}).", flush=True)
    for problem in problems:
        report.note(problem)
    peaks = PeakMemory(ProcessTable(stack))
    ops = await stack.connect_nats("ops")
    bench = Bench(stack, args, report, peaks, ops)
    steps: list[tuple[str, bool, Callable[[Bench], Awaitable[None]]]] = []  # what, needs the gateway, how
    if args.only & {"ingest", "latency"}:
        steps.append(("ingest and latency", False, hospital_side))
    if "pages" in args.only:
        steps.append(("Mes documents", True, mes_documents_section))
    if "downloads" in args.only:
        steps.append(("downloads", True, downloads_section))
    if "directory" in args.only:
        steps.append(("directory", False, directory_section))
    if "codes" in args.only:
        steps.append(("login codes", False, login_code_section))
    if "requests" in args.only:
        steps.append(("the inbox", True, inbox_section))
        steps.append(("requests with files", True, request_files_section))
    try:
        async with peaks.sampling():
            for what, needs_gateway, step in steps:
                gateway = stack.processes.get("gateway")
                if needs_gateway and (gateway is None or gateway.poll() is not None):
                    report.title(what)
                    report.failed(what, "the gateway is not running")
                    continue
                try:
                    await step(bench)
                except Exception as exc:
                    report.failed(what, exc)
    finally:
        await ops.close()
    report_peaks(report, peaks)


async def run(args: argparse.Namespace, report: Report) -> int:
    print(f"Portal benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", flush=True)
    print(f"Machine: {machine.describe()}", flush=True)
    print(
        "Every process of the portal, nats-server, PostgreSQL and this load generator run on this machine.", flush=True
    )
    started = False
    try:
        async with running_stack(args.log_level) as (stack, problems):
            started = True
            await measure_all(stack, problems, args, report)
    except Exception as exc:
        if started:
            raise
        report.failed("the stack", exc)
        report.summary()
        return 1
    report.summary()
    return 0


def main() -> None:
    args = arguments()
    report = Report()

    async def main_task() -> int:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        return await run(args, report)

    try:
        status = event_loop.run(main_task())
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("\ninterrupted: every process started was stopped", flush=True)
        status = 130
    sys.exit(status)


if __name__ == "__main__":
    main()
