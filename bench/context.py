"""What every measurement gets: the running stack, the options, the report, the memory sampler."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from nats.aio.client import Client as NATS

from deploy.stack import Stack

from . import backlog
from .peak_memory import PeakMemory
from .processes import CpuUse
from .report import Report

DRAIN_TIMEOUT = 600.0


@dataclass
class Bench:
    stack: Stack
    args: argparse.Namespace
    report: Report
    peaks: PeakMemory
    ops: NATS  # the `ops` NATS user: reads consumer state

    def cpu(self) -> CpuUse:
        return CpuUse(self.peaks.table)

    def phase(self, what: str) -> None:
        """Name what is running now, for the peak memory report."""
        self.peaks.phase = what

    async def drain(self, after: str) -> None:
        """Let the consumers work off what the last measurement left, and say how long that took."""
        left_behind, still = await backlog.drained(self.ops, DRAIN_TIMEOUT)
        if still:
            self.report.note(f"consumers still busy after {DRAIN_TIMEOUT:.0f} s ({still}); going on anyway")
        busy = {name: (count, seconds) for name, (count, seconds) in left_behind.items() if seconds > 1}
        if busy:
            self.report.note(
                f"after {after}, the consumers' backlog: "
                + ", ".join(f"{name} {count:,} messages in {seconds:.1f} s" for name, (count, seconds) in busy.items())
            )
