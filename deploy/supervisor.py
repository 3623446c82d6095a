"""Keeps the dev stack's processes running: a process that exits on its own is started again.

`make run` and the drills use it, as systemd (`Restart=on-failure`) does in production. A crashed
process is restarted after a growing wait (0.5 s, doubling up to 30 s; back to 0.5 s once it has
stayed up 30 s), and each restart is logged with the exit status. A process stopped on purpose
(`Stack.stop_process`) is not restarted, and nothing is restarted once the stack is stopping.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger("supervisor")

FIRST_WAIT = 0.5
LONGEST_WAIT = 30.0
STABLE_SECONDS = 30.0
POLL_SECONDS = 0.1


class Supervised(Protocol):
    """What the supervisor needs of the stack."""

    stopping: bool

    def exited(self) -> dict[str, int]:
        """The processes that have exited on their own: key -> exit status."""

    def restart(self, key: str) -> None:
        """Start the process `key` again, as it was started."""


@dataclass
class Restart:
    key: str
    status: int
    at: float  # monotonic time the new process was started


@dataclass
class Supervisor:
    stack: Supervised
    report: Callable[[str], None] = log.warning
    restarts: list[Restart] = field(default_factory=list)
    _waits: dict[str, float] = field(default_factory=dict)
    _started: dict[str, float] = field(default_factory=dict)

    async def run(self) -> None:
        """Watch until cancelled; restart each process that exits, one wait after its exit."""
        due: dict[str, tuple[float, int]] = {}
        while True:
            now = time.monotonic()
            if not self.stack.stopping:
                exited = self.stack.exited()
                for key, status in exited.items():
                    if key not in due:
                        wait = self._next_wait(key, now)
                        due[key] = (now + wait, status)
                        self.report(f"{key} exited with status {status}; restarting in {wait:.1f} s")
                for key, (when, status) in list(due.items()):
                    if when <= now:
                        del due[key]
                        if key not in exited:
                            continue  # stopped or started again on purpose meanwhile: not ours to restart
                        self.stack.restart(key)
                        self._started[key] = time.monotonic()
                        self.restarts.append(Restart(key, status, self._started[key]))
                        self.report(f"{key} restarted")
            await asyncio.sleep(POLL_SECONDS)

    def _next_wait(self, key: str, now: float) -> float:
        """Double the wait after each quick crash; start again from the first once it stayed up."""
        started = self._started.get(key)
        if started is None or now - started >= STABLE_SECONDS:
            self._waits[key] = FIRST_WAIT
        else:
            self._waits[key] = min(LONGEST_WAIT, self._waits.get(key, FIRST_WAIT) * 2)
        return self._waits[key]

    def restarted_since(self, key: str, since: float) -> Restart | None:
        """The first restart of `key` after the monotonic time `since`."""
        return next((r for r in self.restarts if r.key == key and r.at >= since), None)
