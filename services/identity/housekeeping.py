"""What identity forgets on its own, every few minutes (each copy; the deletes are idempotent):
failed-login throttles idle for a day, code attempts a day past their expiry (with the new
password hash or number that waited in them), HIN attempts an hour past theirs, recovery links a
day past theirs (an hour's count of links needs only the last hour), parts of identity copies never
finished after an hour."""

from __future__ import annotations

import logging

import asyncpg

log = logging.getLogger(__name__)

SWEEPS = (
    (
        "login_throttles",
        "DELETE FROM login_throttles WHERE last_failure_at < now() - interval '1 day' AND not_before < now()",
    ),
    ("login_challenges", "DELETE FROM login_challenges WHERE expires_at < now() - interval '1 day'"),
    ("hin_attempts", "DELETE FROM hin_attempts WHERE expires_at < now() - interval '1 hour'"),
    ("recovery_links", "DELETE FROM recovery_links WHERE expires_at < now() - interval '1 day'"),
    # Parts of copies never finished (an upload broken off, an applicant's form abandoned midway).
    ("id_copy_parts", "DELETE FROM id_copy_parts WHERE received_at < now() - interval '1 hour'"),
)


async def sweep(pool: asyncpg.Pool) -> dict[str, int]:
    """One pass; how many rows each table forgot."""
    forgotten: dict[str, int] = {}
    async with pool.acquire() as conn:
        for table, statement in SWEEPS:
            status = await conn.execute(statement)
            forgotten[table] = int(status.split()[-1])
    return forgotten


async def one_pass(pool: asyncpg.Pool) -> None:
    """A pass, run periodically (`Outages.periodically`): what it forgot is logged."""
    forgotten = await sweep(pool)
    if any(forgotten.values()):
        log.info("housekeeping forgot %s", ", ".join(f"{n} {table}" for table, n in forgotten.items() if n))
