"""Password hashing: argon2id near the recommended floor (m = 19 MiB, t = 2, p = 1), off the event loop."""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

T = TypeVar("T")

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)  # settings only: no state

# Verified when the login name is unknown, so that the answer takes as long either way.
_UNKNOWN_ACCOUNT_HASH = _HASHER.hash("no account has this password")


def normalise(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


class Passwords:
    """Hashes and verifies passwords on threads of their own, `at_once` at a time: each hash takes
    19 MiB and a core for a few milliseconds, so a bounded number keeps the process's memory
    bounded however many logins arrive together (the rest queue). One per process (the service's
    Deps); `close()` when done."""

    def __init__(self, at_once: int = 2) -> None:
        self._threads = ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="argon2")

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)

    async def _off_the_loop(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._threads, work)

    async def hash(self, password: str) -> str:
        normalised = normalise(password)
        return await self._off_the_loop(lambda: _HASHER.hash(normalised))

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        """True when `password` matches; always does the same work, even without a stored hash."""

        def verify() -> bool:
            try:
                return (
                    _HASHER.verify(stored_hash or _UNKNOWN_ACCOUNT_HASH, normalise(password))
                    and stored_hash is not None
                )
            except (VerificationError, InvalidHashError):
                return False

        return await self._off_the_loop(verify)
