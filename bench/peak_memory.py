"""4. Peak memory of each process: VmHWM from /proc/<pid>/status (the resident set's high-water
mark), sampled in the background over the whole run so that processes that stop before the end
(an extra gateway, a PostgreSQL backend) count too.

PostgreSQL's processes count the shared buffers they touched in their resident set; they are
judged on their own (private, RssAnon) memory, the highest sampled.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from .processes import BENCH, ProcessTable, status_kib
from .report import Report, mb

FLOOR = 150_000_000  # bytes, each process


@dataclass
class PeakMemory:
    """The highest VmHWM seen for each process (and each PostgreSQL role)."""

    table: ProcessTable
    every: float = 0.5
    peaks: dict[str, int] = field(default_factory=dict)  # name -> KiB (VmHWM)
    private: dict[str, int] = field(default_factory=dict)  # name -> KiB (highest RssAnon sampled)
    counts: dict[str, set[int]] = field(default_factory=dict)  # name -> pids seen
    phase: str = "start-up"  # what the benchmark is doing, set by the caller
    reached_in: dict[str, str] = field(default_factory=dict)  # name -> phase in which its peak was reached

    def sample(self) -> None:
        named = {pid: name for name, pid in self.table.portal().items()}
        named |= self.table.postgres()
        named[os.getpid()] = BENCH
        for pid, name in named.items():
            peak, anonymous = status_kib(pid, "VmHWM"), status_kib(pid, "RssAnon")
            if peak is not None:
                if peak > self.peaks.get(name, 0) + 1024:
                    self.reached_in[name] = self.phase
                self.peaks[name] = max(self.peaks.get(name, 0), peak)
                self.private[name] = max(self.private.get(name, 0), anonymous or 0)
                self.counts.setdefault(name, set()).add(pid)

    @contextlib.asynccontextmanager
    async def sampling(self) -> AsyncIterator[PeakMemory]:
        async def loop() -> None:
            while True:
                await asyncio.to_thread(self.sample)
                await asyncio.sleep(self.every)

        task = asyncio.create_task(loop())
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self.sample()


def report_peaks(report: Report, peaks: PeakMemory) -> None:
    report.title("4. Memory: peak of each process (VmHWM over the whole run)")
    for name in sorted(peaks.peaks, key=lambda n: (n.startswith("postgres"), n == BENCH, n)):
        peak, private = peaks.peaks[name] * 1024, peaks.private[name] * 1024
        processes = len(peaks.counts.get(name, ()))
        label = name + (f" (max of {processes})" if processes > 1 else "")
        if name == BENCH:
            report.figure(label, mb(peak))  # the load generator, not the portal
        elif name.startswith("postgres"):
            report.figure(label, f"{mb(peak)} ({mb(private)} own)", "≤ 150 MB own", private <= FLOOR)
        else:
            report.figure(label, mb(peak), "≤ 150 MB", peak <= FLOOR)
            if peak > FLOOR * 2 / 3:
                report.note(f"  {name} reached its peak during: {peaks.reached_in.get(name, '?')}")
    report.note(
        "PostgreSQL's resident sets include the shared buffers each touched (shared_buffers is "
        "128 MB); 'own' is the highest private (RssAnon) memory sampled every 0.5 s."
    )
