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

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

# Each hash takes 19 MiB and a core for a few milliseconds: two at a time, on two threads of their
# own, keep the service's memory bounded however many logins arrive together (the rest queue).
_HASHING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="argon2")

# Verified when the login name is unknown, so that the answer takes as long either way.
_UNKNOWN_ACCOUNT_HASH = _hasher.hash("no account has this password")


def normalise(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


async def _off_the_loop(work: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(_HASHING, work)


async def hash_password(password: str) -> str:
    normalised = normalise(password)
    return await _off_the_loop(lambda: _hasher.hash(normalised))


async def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; always does the same work, even without a stored hash."""

    def verify() -> bool:
        try:
            return _hasher.verify(stored_hash or _UNKNOWN_ACCOUNT_HASH, normalise(password)) and stored_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await _off_the_loop(verify)
