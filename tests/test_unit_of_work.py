"""The unit of work: what a transaction enqueues is relayed as soon as it commits, never before,
and a unit that enqueued nothing does not wake the relay (a real PostgreSQL, a scratch schema)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from pydantic import BaseModel

from common.migrate import migrate
from common.outages import Outages
from common.outbox import OutboxRelay, enqueue
from deploy.database import with_database
from deploy.stack import Stack


class Ping(BaseModel):
    event_id: str


@pytest.fixture
async def relay(stack: Stack, tmp_path: Path) -> AsyncIterator[tuple[OutboxRelay, asyncpg.Pool]]:
    schema = f"uow_{uuid.uuid4().hex[:8]}"
    dsn = with_database(stack.admin_database_url, stack.config.database)
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    await migrate(admin, schema, tmp_path)  # the common tables only (the outbox)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2, server_settings={"search_path": schema})
    try:
        yield OutboxRelay(pool, None, Outages()), pool  # type: ignore[arg-type]  # it never publishes here
    finally:
        await pool.close()
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.close()


def woken(outbox: OutboxRelay) -> bool:
    return outbox._wake.is_set()


async def test_what_a_transaction_enqueues_wakes_the_relay_once_committed(
    relay: tuple[OutboxRelay, asyncpg.Pool],
) -> None:
    outbox, pool = relay
    async with outbox.transaction() as conn:
        await enqueue(conn, "portal.test", Ping(event_id="e1"))
        assert not woken(outbox)  # not before the commit
    assert woken(outbox)
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 1


async def test_a_rolled_back_unit_leaves_nothing_and_a_reading_unit_wakes_nothing(
    relay: tuple[OutboxRelay, asyncpg.Pool],
) -> None:
    outbox, pool = relay
    with pytest.raises(RuntimeError):
        async with outbox.transaction() as conn:
            await enqueue(conn, "portal.test", Ping(event_id="e2"))
            raise RuntimeError("refused")
    outbox._wake.clear()
    async with outbox.connection() as conn:
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 0
    assert not woken(outbox)
