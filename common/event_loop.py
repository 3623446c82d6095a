"""The event loop every portal process runs on: uvloop (libuv), which spends markedly less CPU
than asyncio's own loop on the same network I/O: NATS, PostgreSQL and HTTP."""
from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, TypeVar

import uvloop

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run a process's main coroutine to completion on a new uvloop event loop."""
    return uvloop.run(main)
