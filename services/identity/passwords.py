"""Password hashing: argon2id near the recommended floor (m = 19 MiB, t = 2, p = 1), off the event loop."""
from __future__ import annotations

import asyncio
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

# Verified when the login name is unknown, so that the answer takes as long either way.
_UNKNOWN_ACCOUNT_HASH = _hasher.hash("no account has this password")


def normalise(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, normalise(password))


async def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; always does the same work, even without a stored hash."""

    def verify() -> bool:
        try:
            return _hasher.verify(stored_hash or _UNKNOWN_ACCOUNT_HASH, normalise(password)) and stored_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)
