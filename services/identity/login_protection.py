"""Slowing down password guessing, and locking an account that is being guessed.

- Per login name (known or not: the same answers either way) and per client address, the
  consecutive failures are counted; past a few free ones, each failure doubles the wait before
  the next attempt is even looked at, up to 15 minutes. A name's count restarts when its
  password is right; an address's when it has not failed for an hour (addresses are shared).
- An account's consecutive failures are counted too, without any decay: the 100th locks it until
  an administrator unlocks it. A locked account gets the answer of a wrong password.
- At most 3 SMS codes per account in any 15 minutes.
"""
from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta, timezone

import asyncpg

FREE_FAILURES_PER_NAME = 5
FREE_FAILURES_PER_ADDRESS = 20
LONGEST_WAIT = timedelta(minutes=15)
ADDRESS_MEMORY = timedelta(hours=1)
LOCK_AFTER_FAILURES = 100
SMS_PER_WINDOW = 3
SMS_WINDOW = timedelta(minutes=15)


def wait_after(failures: int, free: int) -> timedelta:
    """How long the next attempt waits after `failures` consecutive ones: none for the first
    `free`, then 1 s, 2 s, 4 s... up to LONGEST_WAIT."""
    if failures < free:
        return timedelta(0)
    return min(LONGEST_WAIT, timedelta(seconds=2 ** min(failures - free, 20)))


def name_key(login: str) -> str:
    return "name:" + hashlib.sha256(login.encode()).hexdigest()


def address_key(client_ip: str) -> str | None:
    return f"address:{client_ip}" if client_ip else None


async def waiting(conn: asyncpg.Connection, keys: list[str]) -> datetime | None:
    """When the next attempt may be made, if one of the keys is still waiting."""
    return await conn.fetchval(
        "SELECT max(not_before) FROM login_throttles WHERE key = ANY($1::text[]) AND not_before > now()", keys
    )


async def record_failure(conn: asyncpg.Connection, login: str | None, client_ip: str) -> None:
    """One more failure for the name (if any) and the address."""
    keys: list[tuple[str, int, timedelta | None]] = []
    if login is not None:
        keys.append((name_key(login), FREE_FAILURES_PER_NAME, None))
    address = address_key(client_ip)
    if address is not None:
        keys.append((address, FREE_FAILURES_PER_ADDRESS, ADDRESS_MEMORY))
    now = datetime.now(timezone.utc)
    for key, free, memory in keys:
        failures = await conn.fetchval(
            "INSERT INTO login_throttles AS t (key, failures, last_failure_at, not_before) VALUES ($1, 1, $2, $2) "
            "ON CONFLICT (key) DO UPDATE SET "
            " failures = CASE WHEN $3::interval IS NOT NULL AND t.last_failure_at < $2 - $3::interval THEN 1"
            "            ELSE t.failures + 1 END, last_failure_at = $2 "
            "RETURNING failures",
            key, now, memory,
        )
        await conn.execute(
            "UPDATE login_throttles SET not_before = $2 WHERE key = $1", key, now + wait_after(failures, free)
        )


async def record_success(conn: asyncpg.Connection, login: str, account_id: str) -> None:
    """The password was right: the name's count and the account's restart."""
    await conn.execute("DELETE FROM login_throttles WHERE key = $1", name_key(login))
    await conn.execute("UPDATE accounts SET failed_logins = 0 WHERE id = $1", uuid.UUID(account_id))


async def count_account_failure(conn: asyncpg.Connection, account_id: str) -> bool:
    """One more consecutive failure for the account; True if this one locked it."""
    return bool(
        await conn.fetchval(
            "UPDATE accounts SET failed_logins = failed_logins + 1, "
            " locked_at = CASE WHEN locked_at IS NULL AND failed_logins + 1 >= $2 THEN now() ELSE locked_at END "
            "WHERE id = $1 RETURNING locked_at IS NOT NULL AND failed_logins = $2",
            uuid.UUID(account_id), LOCK_AFTER_FAILURES,
        )
    )


async def codes_sent_lately(conn: asyncpg.Connection, account_id: str) -> int:
    """SMS codes sent to the account within the last SMS_WINDOW."""
    return await conn.fetchval(
        "SELECT count(*) FROM login_challenges WHERE account_id = $1 AND created_at > now() - $2::interval "
        "AND purpose IN ('login', 'password', 'mobile')",
        uuid.UUID(account_id), SMS_WINDOW,
    )
