"""The portal's processes by name, as the operating system sees them, and the CPU they use.

The Python processes and nats-server are the Stack's children; PostgreSQL's are found with
psutil (the postmaster and its children: backends and auxiliary processes).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from deploy.stack import Stack

POSTGRES = "postgres"
BENCH = "bench (load generator)"


def status_kib(pid: int, field_name: str) -> int | None:
    """A `kB` field of /proc/<pid>/status, in KiB; None if the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def postgres_postmaster(data_dir: Path) -> psutil.Process | None:
    """The postmaster serving `data_dir` (the embedded server's own directory)."""
    wanted = str(data_dir.resolve())
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = process.info["cmdline"] or []
        if process.info["name"] == "postgres" and any(wanted in part for part in cmdline):
            return process
    return None


def postgres_role(process: psutil.Process) -> str:
    """`postgres: checkpointer`, `postgres: documents backend`...: what one PostgreSQL process is."""
    try:
        title = " ".join(process.cmdline())
    except psutil.Error:
        return "postgres: gone"
    if not title.startswith("postgres: "):
        return "postgres: starting"  # forked, its title not set yet
    rest = title.removeprefix("postgres: ").split()
    if len(rest) >= 2 and ("[local]" in title or "127.0.0.1" in title or "(" in title):
        return f"postgres: {rest[0]} backends"  # user database host state
    return "postgres: " + " ".join(rest[:2]) if rest else "postgres"


@dataclass
class ProcessTable:
    """Finds the processes of the running stack, by the name the report gives them."""

    stack: Stack

    def portal(self) -> dict[str, int]:
        """Stack processes (nats, outbox, the services, the gateways) that are running: name -> pid."""
        return {key: p.pid for key, p in self.stack.processes.items() if p.poll() is None}

    def postgres(self) -> dict[int, str]:
        """Every PostgreSQL process: pid -> its role (postmaster, backends of a user, auxiliary)."""
        postmaster = postgres_postmaster(self.stack.config.var_dir / "postgres")
        if postmaster is None:
            return {}
        found = {postmaster.pid: "postgres: postmaster"}
        with contextlib.suppress(psutil.Error):
            for child in postmaster.children():
                found[child.pid] = postgres_role(child)
        return found

    def pid_of(self, name: str) -> int:
        return self.stack.processes[name].pid


def _machine_busy() -> float:
    """CPU seconds the whole machine spent not idle, since boot."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def _cpu_seconds(pid: int, with_children: bool = False) -> float:
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return 0.0
    own = times.user + times.system
    return own + times.children_user + times.children_system if with_children else own


@dataclass
class CpuUse:
    """CPU used by each process (PostgreSQL as one) over a measurement: where the time goes.

    PostgreSQL's short-lived processes (parallel workers, backends that end) are counted through
    the postmaster's reaped-children times, so nothing of it is lost between two readings.
    """

    table: ProcessTable
    started: float = 0.0
    before: dict[str, float] = field(default_factory=dict)
    machine_before: float = 0.0
    shares: dict[str, float] = field(default_factory=dict)  # name -> cores used on average
    others: float = 0.0  # cores used by processes that are neither the stack's nor the benchmark's
    foreign_before: dict[int, tuple[str, float]] = field(default_factory=dict)
    foreign: list[tuple[float, str]] = field(default_factory=list)  # (cores, what) of the busiest others

    def _foreign(self) -> dict[int, tuple[str, float]]:
        """CPU seconds of every other process on the machine (kernel threads included)."""
        ours = set(self.table.portal().values()) | set(self.table.postgres()) | {os.getpid()}
        found = {}
        for process in psutil.process_iter(["name", "cmdline", "cpu_times"]):
            if process.pid in ours or process.info["cpu_times"] is None:
                continue
            times = process.info["cpu_times"]
            what = " ".join(process.info["cmdline"] or [])[:60] or f"[{process.info['name']}]"
            found[process.pid] = (what, times.user + times.system)
        return found

    def _now(self) -> dict[str, float]:
        totals = {name: _cpu_seconds(pid) for name, pid in self.table.portal().items()}
        totals[BENCH] = _cpu_seconds(os.getpid())
        for pid, role in self.table.postgres().items():
            if role == "postgres: postmaster":  # with the processes that ended (reaped children)
                role = "postgres: postmaster and ended processes"
            totals[role] = totals.get(role, 0.0) + _cpu_seconds(pid, with_children=role.endswith("ended processes"))
        return totals

    @contextlib.contextmanager
    def measuring(self) -> Iterator[CpuUse]:
        self.foreign_before = self._foreign()
        self.before, self.machine_before, self.started = self._now(), _machine_busy(), time.monotonic()
        try:
            yield self
        finally:
            wall = max(1e-9, time.monotonic() - self.started)
            machine = (_machine_busy() - self.machine_before) / wall
            after = self._now()
            self.shares = {
                name: max(0.0, seconds - self.before.get(name, 0.0)) / wall for name, seconds in after.items()
            }
            self.others = max(0.0, machine - sum(self.shares.values()))
            self.foreign = sorted(
                (
                    ((seconds - self.foreign_before.get(pid, (what, 0.0))[1]) / wall, f"{what} (pid {pid})")
                    for pid, (what, seconds) in self._foreign().items()
                ),
                reverse=True,
            )[:3]

    def line(self, minimum: float = 0.02) -> str:
        """One line: each process's cores, PostgreSQL as one with its biggest parts in brackets."""
        grouped: dict[str, float] = {}
        parts: list[tuple[float, str]] = []
        for name, share in self.shares.items():
            if name.startswith("postgres: "):
                grouped[POSTGRES] = grouped.get(POSTGRES, 0.0) + share
                parts.append((share, name.removeprefix("postgres: ")))
            else:
                grouped[name] = share
        busy = sorted(((share, name) for name, share in grouped.items() if share >= minimum), reverse=True)
        total = sum(grouped.values())
        detail = ", ".join(f"{name} {share:.2f}" for share, name in sorted(parts, reverse=True)[:4] if share >= minimum)

        def show(name: str, share: float) -> str:
            return f"{name} {share:.2f}" + (f" ({detail})" if name == POSTGRES and detail else "")

        text = f"CPU, cores used on average (total {total:.2f}): " + ", ".join(show(n, s) for s, n in busy)
        if self.others >= 0.1:
            busiest = ", ".join(f"{what} {cores:.2f}" for cores, what in self.foreign if cores >= 0.02)
            text += f"; WARNING: the rest of the machine used {self.others:.2f} cores meanwhile ({busiest or 'kernel'})"
        return text
