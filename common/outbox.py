"""Transactional outbox: what a service publishes is written with its data, then relayed to NATS.

A crash between commit and publish loses nothing: the relay publishes what is left, with
`Nats-Msg-Id` set so that JetStream drops a message published twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import uuid
from collections.abc import AsyncIterator

import asyncpg
from nats.js import JetStreamContext
from pydantic import BaseModel

from common.db import Connection, fetch_one

from . import metrics
from .codec import encode
from .outages import Outages

log = logging.getLogger(__name__)

BATCH = 500
POLL_SECONDS = 0.5


_ENQUEUED: contextvars.ContextVar[bool] = contextvars.ContextVar("enqueued", default=False)
"""Whether the current unit of work put something in the outbox (then it wakes the relay)."""


async def enqueue(conn: Connection, subject: str, message: BaseModel, msg_id: str | None = None) -> None:
    """Add a message to the outbox, inside the caller's transaction."""
    _ENQUEUED.set(True)
    await conn.execute(
        "INSERT INTO outbox (msg_id, subject, payload) VALUES ($1, $2, $3)",
        msg_id or getattr(message, "event_id", None) or uuid.uuid4().hex,
        subject,
        encode(message),
    )


async def enqueue_many(
    conn: Connection, messages: list[tuple[str, BaseModel]], msg_ids: list[str] | None = None
) -> None:
    """Add several (subject, message) to the outbox in one round trip, inside the caller's transaction."""
    _ENQUEUED.set(True)
    ids = msg_ids or [getattr(message, "event_id", None) or uuid.uuid4().hex for _, message in messages]
    await conn.executemany(
        "INSERT INTO outbox (msg_id, subject, payload) VALUES ($1, $2, $3)",
        [(msg_id, subject, encode(message)) for msg_id, (subject, message) in zip(ids, messages, strict=True)],
    )


class OutboxRelay:
    """Publishes outbox rows to JetStream, oldest first, and deletes them once acknowledged."""

    def __init__(self, pool: asyncpg.Pool, js: JetStreamContext, outages: Outages) -> None:
        self._pool = pool
        self._js = js
        self._outages = outages
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Publish now rather than at the next poll (the helpers below call it for their users)."""
        self._wake.set()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """The unit of work: a connection in a transaction; what it enqueued is published as soon
        as it has committed (never before)."""
        async with self._woken_after():
            async with self._pool.acquire() as conn, conn.transaction():
                yield conn

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        """A connection whose statements each commit on their own; what they enqueued is published
        once the caller is done with it, also when it leaves with an error (a refusal it audited)."""
        async with self._woken_after():
            async with self._pool.acquire() as conn:
                yield conn

    @contextlib.asynccontextmanager
    async def _woken_after(self) -> AsyncIterator[None]:
        """Wake the relay at the end if the work enqueued anything (a rollback only costs a look)."""
        token = _ENQUEUED.set(False)
        try:
            yield
        finally:
            if _ENQUEUED.get():
                self.wake()
            _ENQUEUED.reset(token)

    async def run(self) -> None:
        while True:
            try:
                # NATS or the database away: the rows stay, and the outage is waited out (logged once).
                published = await self._outages.retry(self.relay_batch)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # not an outage (a stream missing…): said, and tried again
                log.warning("outbox relay: %s, retrying", exc if isinstance(exc, OutboxStuck) else type(exc).__name__)
                await asyncio.sleep(2.0)
                continue
            if published < BATCH:
                try:
                    await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
                except TimeoutError:
                    pass
                self._wake.clear()

    async def relay_batch(self) -> int:
        """Publish up to BATCH rows; rows locked by another copy are skipped.

        Rows whose publication failed stay for the next round; the others are deleted, so that
        one unavailable stream does not hold back messages for the others.
        """
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT id, msg_id, subject, payload FROM outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED", BATCH
            )
            if not rows:
                return 0
            results = await asyncio.gather(
                *(
                    self._js.publish(row["subject"], row["payload"], headers={"Nats-Msg-Id": row["msg_id"]})
                    for row in rows
                ),
                return_exceptions=True,
            )
            published = [
                row["id"] for row, result in zip(rows, results, strict=True) if not isinstance(result, BaseException)
            ]
            await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", published)
        failed = len(rows) - len(published)
        if failed:
            first = next(result for result in results if isinstance(result, BaseException))
            raise OutboxStuck(f"{failed} of {len(rows)} messages not published ({type(first).__name__})") from first
        return len(rows)


class OutboxStuck(Exception):
    """Some messages could not be published this round; they stay in the outbox (its cause is
    the first failure: an outage when the bus is away)."""


async def watch_outbox(pool: asyncpg.Pool, waiting: str, label: str, every_seconds: float = 5.0) -> None:
    """Export how many rows wait in an outbox and how old the oldest is; `waiting` is the rows'
    FROM clause (a table with a `created_at` column, and the condition of a row still waiting)."""
    depth, age = metrics.OUTBOX_DEPTH.labels(label), metrics.OUTBOX_AGE.labels(label)
    query = f"SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0) FROM {waiting}"
    while True:
        try:
            async with pool.acquire() as conn:
                row = await fetch_one(conn, query)
        except asyncio.CancelledError:
            raise
        except Exception:  # an outage: the other loops log it; the gauges keep their last value
            pass
        else:
            depth.set(row[0])
            age.set(float(row[1]))
        await asyncio.sleep(every_seconds)
