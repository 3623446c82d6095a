"""Sending what notify decided (emails, SMS), after the transaction that decided it committed.

A copy claims a row ('preparing') and prepares the message (an email up to its accepted SMTP
envelope, an SMS in memory); only then it commits 'sending' and hands the message over (DATA, or
the provider's HTTP request), and commits 'sent' once the receiver took it. So:
- a failure or a crash before the hand-over delivered nothing: the row is due again (at once,
  or once the copy that died has been silent SILENT_SECONDS);
- a failed commit after the hand-over never sends it twice: 'sent' is retried until the
  database takes it;
- a crash during the hand-over, or between the receiver's answer and 'sent' (a few
  milliseconds), leaves it 'sending'. Once the copy is known stopped, it is sent again if the
  receiver takes a message twice as once (the same Message-ID, the same idempotency token:
  PORTAL_SMTP_IDEMPOTENT, PORTAL_SMS_IDEMPOTENT), so it arrives exactly once; otherwise it is
  marked 'uncertain', logged and counted, never sent again (at most once).
The Message-ID of an email and the token of an SMS are made of its row's id, so the receiver's
logs and ours agree.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable

import asyncpg

from common import metrics
from common.db import Connection
from common.errors import ServiceUnavailable
from common.outages import DATABASE, Outages, dependency_of

from .channels import Channel
from .ledger import Ledger, Outgoing, alive
from .outcomes import Expired, InDoubt, Refused

log = logging.getLogger(__name__)

SENDING_AT_ONCE = 4  # hand-overs side by side per channel, each claiming its message just before sending it
IDLE_SECONDS = 1.0  # looked at again this often when nothing was due
ALIVE_EVERY_SECONDS = 2.0  # each copy says it is alive this often (ledger.SILENT_SECONDS: stopped)


def retry_wait(attempts: int) -> float:
    """Seconds before trying again a message the receiver could not take: 2, 4, 8… up to 5 minutes."""
    return float(min(300, 2**attempts))


SentHook = Callable[[Connection, Outgoing], Awaitable[None]]
"""What else is written, in the same transaction, when a message is recorded as sent (its audit
record): once per message, however often that commit is tried again."""


class Sender:
    """Sends the due messages of one channel's ledger, in every copy of notify (rows are claimed,
    not shared)."""

    def __init__(
        self, pool: asyncpg.Pool, ledger: Ledger, channel: Channel, outages: Outages, on_sent: SentHook | None = None
    ) -> None:
        self._on_sent = on_sent
        self._pool = pool
        self._outages = outages
        self._ledger = ledger
        self._channel = channel
        self._receiver = channel.receiver
        self._wakes = [asyncio.Event() for _ in range(SENDING_AT_ONCE)]
        self._instance = uuid.uuid4()
        self._stopping = asyncio.Event()
        self._stopped = asyncio.Event()
        for reason in ("unavailable", "refused", "uncertain"):  # every series from 0: the first failure shows
            metrics.NOTIFICATIONS_FAILED.labels(channel.name, reason)

    def wake(self) -> None:
        """Call after a commit that added messages: they go now rather than at the next look. One
        hand-over wakes; each that finds a message wakes the next, so a burst fans out and a
        single message costs one look."""
        self._wakes[0].set()

    async def run(self) -> None:
        """Send what is due with a few hand-overs side by side, and settle what a stopped copy
        left, until `stop`."""
        await self._outages.retry(self._say_alive)  # before any claim: other copies know this one
        alive = asyncio.create_task(self._keep_alive())
        try:
            await asyncio.gather(*(self._send_forever(number) for number in range(SENDING_AT_ONCE)))
        finally:
            alive.cancel()
            await asyncio.gather(alive, return_exceptions=True)
            self._stopped.set()

    async def stop(self, timeout: float = 20.0) -> None:
        """Claim no more, and let the messages under way be handed over and recorded (each step is
        given 15 s): a restart leaves none in doubt."""
        self._stopping.set()
        for event in self._wakes:
            event.set()
        try:
            await asyncio.wait_for(self._stopped.wait(), timeout)
        except TimeoutError:
            log.warning("stopped while a message (%s) was under way; it may be left in doubt", self._channel.name)

    async def _send_forever(self, number: int) -> None:
        # One message claimed at a time, just before it is sent: a crash leaves in doubt only the
        # messages whose hand-over was under way, never a batch waiting its turn. The first
        # hand-over also looks every IDLE_SECONDS (messages due later, or taken back).
        wake, following = self._wakes[number], self._wakes[(number + 1) % SENDING_AT_ONCE]
        idle = IDLE_SECONDS if number == 0 else None
        while not self._stopping.is_set():
            wake.clear()  # before looking: a wake after this finds the message or sets it again
            due = await self._outages.retry(self._claim)
            if due is not None:
                following.set()  # there may be more: the next hand-over looks too
                try:
                    await self._send(due)
                except Exception:  # a bug: the sender goes on, the message is tried again or in doubt
                    log.exception("sending a message (%s) failed", self._channel.name)
                    await self._record(lambda conn, held: self._ledger.interrupted(conn, held, 60), due)
                continue
            try:
                await asyncio.wait_for(wake.wait(), idle)
            except TimeoutError:
                pass

    async def _claim(self) -> Outgoing | None:
        async with self._pool.acquire() as conn:
            return await self._ledger.claim_due(conn, self._instance)

    async def _keep_alive(self) -> None:
        """Say this copy is alive, and take back what stopped copies held.

        A copy judges the others only once it has been heard twice in a row: just after an outage
        of the database every copy looks silent. A copy judged stopped by mistake loses nothing
        and sends nothing twice: its next step on a row checks that it still holds it."""
        heard = 1  # run() said it once
        while True:
            await asyncio.sleep(ALIVE_EVERY_SECONDS)
            try:
                async with self._pool.acquire() as conn:
                    await alive(conn, self._instance)
                    heard += 1
                    if heard >= 2:
                        again, in_doubt = await self._ledger.abandoned(conn)
                        self._report_abandoned(again, in_doubt)
                        if again:
                            self.wake()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # never silent, never the end of it: a copy that stops saying
                heard = 0  # it is alive has what it holds taken back by the others
                if dependency_of(exc) is None:
                    log.exception("saying this copy (%s) is alive failed", self._channel.name)
                else:
                    self._outages.failing(DATABASE, exc)

    async def _say_alive(self) -> None:
        async with self._pool.acquire() as conn:
            await alive(conn, self._instance)

    def _report_abandoned(self, again: int, in_doubt: int) -> None:
        name = self._channel.name
        if again:
            log.info("%d message(s) (%s) a stopped copy was sending are due again", again, name)
        if in_doubt:
            # A copy died while handing these over: the receiver may have them.
            log.warning(
                "%d message(s) (%s) interrupted while handed over by a stopped copy: marked uncertain, not sent again",
                in_doubt,
                name,
            )
            metrics.NOTIFICATIONS_FAILED.labels(name, "uncertain").inc(in_doubt)

    async def _send(self, item: Outgoing) -> None:
        """Send one claimed message and record the outcome (outages of the database waited out).

        Whatever fails, the row is settled: before the hand-over it is due again (or refused,
        or expired), from the hand-over on it is sent, due again (an idempotent receiver) or in
        doubt. A failure never stops the sender."""
        try:
            handover = await self._channel.prepare(item)
        except Exception as exc:
            await self._failed(item, exc, handed_over=False)
            return
        try:
            held = await self._mark_sending(item)
        except BaseException:
            handover.abandon()
            raise
        if not held:
            handover.abandon()  # another copy took it back (this one was too slow): theirs now
            return
        try:
            await handover.complete()
        except Exception as exc:
            await self._failed(item, exc, handed_over=True)
            return
        self._outages.working(self._receiver)
        metrics.NOTIFICATIONS_SENT.labels(self._channel.name, item.kind).inc()
        await self._record(self._sent, item)

    async def _sent(self, conn: Connection, item: Outgoing) -> None:
        async with conn.transaction():
            if await self._ledger.sent(conn, item) and self._on_sent is not None:
                await self._on_sent(conn, item)

    async def _failed(self, item: Outgoing, exc: Exception, handed_over: bool) -> None:
        """Settle a message whose preparation (or, `handed_over`, hand-over) failed with `exc`."""
        if isinstance(exc, Expired):
            await self._record(self._ledger.expired, item)
        elif isinstance(exc, Refused):
            await self._refused(item)
        elif isinstance(exc, InDoubt) and not self._ledger.idempotent_receiver:
            await self._in_doubt(item)
        elif isinstance(exc, ServiceUnavailable):  # in doubt too, to a receiver that takes it twice as once
            await self._deferred(item, exc)
        elif handed_over:
            log.error("handing a message (%s) over failed", self._channel.name, exc_info=exc)
            await self._record(lambda conn, held: self._ledger.interrupted(conn, held, 60), item)
        else:
            log.error("a message (%s) could not be prepared; set aside", self._channel.name, exc_info=exc)
            await self._refused(item)

    async def _mark_sending(self, item: Outgoing) -> bool:
        """One attempt: with the hand-over prepared, an outage of the database is not waited out
        here; the row goes back to 'pending' once the database answers (nothing was sent)."""
        try:
            async with self._pool.acquire() as conn:
                return await self._ledger.sending(conn, item)
        except Exception as exc:
            if dependency_of(exc) is None:
                raise
            self._outages.failing(DATABASE, exc)
            await self._record(lambda conn, held: self._ledger.deferred(conn, held, 0), item)
            return False

    async def _refused(self, item: Outgoing) -> None:
        metrics.NOTIFICATIONS_FAILED.labels(self._channel.name, "refused").inc()
        await self._record(self._ledger.refused, item)

    async def _in_doubt(self, item: Outgoing) -> None:
        metrics.NOTIFICATIONS_FAILED.labels(self._channel.name, "uncertain").inc()
        await self._record(self._ledger.in_doubt, item)

    async def _deferred(self, item: Outgoing, exc: BaseException) -> None:
        self._outages.failing(self._receiver, exc)
        metrics.NOTIFICATIONS_FAILED.labels(self._channel.name, "unavailable").inc()
        wait = retry_wait(item.attempts)
        await self._record(lambda conn, held: self._ledger.deferred(conn, held, wait), item)

    async def _record(self, update: Callable[[Connection, Outgoing], Awaitable[None]], item: Outgoing) -> None:
        async def write() -> None:
            async with self._pool.acquire() as conn:
                await update(conn, item)

        await self._outages.retry(write)
