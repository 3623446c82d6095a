"""Durable JetStream consumers: typed dispatch, ack after commit, outages waited out, bad messages set aside.

Handlers are idempotent (they record each `event_id` in their inbox table in the same
transaction as their effects), so a redelivery after a crash changes nothing.

What this module promises:
- A message is acknowledged only once its effect, or its rejection, is committed.
- An outage (database, bus, another service: `outages.dependency_of`) is retried in place with
  short backoff for as long as it lasts, the message held meanwhile; it never counts against
  the attempts kept for a message that fails on its content (MAX_ATTEMPTS, counted here).
- Held messages are kept alive with `in_progress()`, so the ack wait can be short: what a
  crashed process had fetched comes back to the others within ACK_WAIT seconds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from . import metrics
from .codec import MalformedMessage, decode
from .consumed import (
    ELSEWHERE,
    REJECTION_REASONS,
    BatchHandler,
    Decoded,
    Elsewhere,
    RejectHandler,
    Route,
    printable,
    quietly,
    readable_event_id,
    reason_label,
    worn_out,
)
from .outages import Outages, is_outage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
"""Tries of a message that fails for a reason other than an outage, before it is set aside."""

ACK_WAIT = 5.0
"""Seconds before JetStream gives an unacknowledged message to another copy (held ones are kept alive)."""

CONSUMER_INFO_SECONDS = 5.0


@dataclass
class _Held:
    """A message fetched and not yet settled, and when its ack wait last began."""

    msg: Msg
    alive_since: float


class DurableConsumer:
    """One durable pull consumer shared by every copy of a service (the work is split between them)."""

    def __init__(
        self,
        js: JetStreamContext,
        *,
        stream: str,
        durable: str,
        filter_subject: str | list[str],
        routes: dict[str, Route],
        on_reject: RejectHandler,
        batch: int = 64,
        ack_wait: float = ACK_WAIT,
        concurrency: int = 1,
        handle_batch: BatchHandler | None = None,
        handle_group: BatchHandler | None = None,
        outages: Outages,
        retry_wait: Callable[[int], float] = lambda failures: min(8.0, 0.5 * 2**failures),
    ) -> None:
        self._js = js
        self._stream = stream
        self._durable = durable
        self._filter = filter_subject
        self._routes = routes
        self._on_reject = on_reject
        self._batch = batch
        self._ack_wait = ack_wait
        self._concurrency = max(1, concurrency)
        self._handle_batch = handle_batch
        self._handle_group = handle_group
        self._outages = outages
        self._retry_wait = retry_wait  # after the n-th failure of a message on its content
        self._slots = asyncio.Semaphore(self._concurrency)
        self._tails: dict[Hashable, asyncio.Task[None]] = {}
        self._held: dict[str, _Held] = {}  # fetched and not yet settled, by ack subject
        self._processed = metrics.PROCESSED.labels(durable)
        self._redelivered = metrics.REDELIVERIES.labels(durable)
        for reason in REJECTION_REASONS:  # every series from 0
            metrics.REJECTED.labels(durable, reason)
        self._stopping = asyncio.Event()
        self._stopped = asyncio.Event()
        self._running = False

    @property
    def name(self) -> str:
        return self._durable

    @property
    def running(self) -> bool:
        """Whether it consumes (False while it waits for the services it needs, or once stopped)."""
        return self._running and not self._stopped.is_set()

    def backlog_age(self) -> float:
        """Seconds since the oldest message this process holds entered the stream (0: holds none)."""
        if not self._held:
            return 0.0
        oldest = min(held.msg.metadata.timestamp for held in list(self._held.values()))
        return max(0.0, (datetime.now(UTC) - oldest).total_seconds())

    async def stop(self, timeout: float = 10.0) -> None:
        """Fetch no more, and let the batches in hand finish (and be acknowledged) for up to `timeout`."""
        self._stopping.set()
        if not self._running:
            return
        try:
            await asyncio.wait_for(self._stopped.wait(), timeout)
        except TimeoutError:
            log.warning("%s: stopped before its last batch finished; it will come back to another copy", self._durable)

    async def run(self) -> None:
        self._running = True
        try:
            await self._consume()
        finally:
            self._stopped.set()

    async def _consume(self) -> None:
        await self._create()
        subscription = await self._js.pull_subscribe_bind(durable=self._durable, stream=self._stream)
        log.info("consuming %s from %s as %s", self._filter, self._stream, self._durable)
        helpers = [
            asyncio.create_task(self._keep_alive(), name=f"{self._durable} keep-alive"),
            asyncio.create_task(self._watch(), name=f"{self._durable} consumer info"),
        ]
        try:
            await self._pull(subscription)
        finally:
            for task in helpers:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            # Stop interest now: draining the connection would otherwise wait on pull replies.
            try:
                await subscription.unsubscribe()
            except Exception:  # the connection is closing anyway
                pass

    async def _create(self) -> None:
        """Create the consumer, or bring an existing one to this definition (a shorter ack wait…)."""
        config = ConsumerConfig(
            name=self._durable,
            durable_name=self._durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self._ack_wait,
            max_ack_pending=4 * self._batch,
            # Several subjects of one stream (NATS 2.10): each service takes its own part of DPI.
            filter_subject=self._filter if isinstance(self._filter, str) else None,
            filter_subjects=self._filter if isinstance(self._filter, list) else None,
        )
        waiting_for_stream = False
        while True:
            try:
                await self._outages.retry(lambda: self._js.add_consumer(self._stream, config))
                return
            except NotFoundError:
                # The stream's owner has not created it yet: wait for it rather than fail.
                if not waiting_for_stream:
                    log.info("stream %s not there yet, waiting for it", self._stream)
                    waiting_for_stream = True
                await asyncio.sleep(1.0)

    async def _pull(self, subscription: JetStreamContext.PullSubscription) -> None:
        # With keyed concurrency, the next batch is fetched while the current one's slowest key
        # finishes (two batches in flight); messages of one key still go one after the other.
        depth = 2 if self._concurrency > 1 and self._handle_batch is None else 1
        in_flight: set[asyncio.Task[None]] = set()
        failures = 0
        try:
            while not self._stopping.is_set():
                if len(in_flight) >= depth:
                    _, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                try:
                    messages = await subscription.fetch(self._batch, timeout=1.0)
                except NatsTimeout:
                    failures = 0
                    continue
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    # The bus is away (its outage is logged by the connection): wait, then ask again.
                    failures += 1
                    log.debug("fetch from %s failed (%s)", self._stream, type(exc).__name__)
                    await asyncio.sleep(min(2.0, 0.2 * 2**failures))
                    continue
                failures = 0
                in_flight.add(asyncio.create_task(self.process_batch(messages)))
            if in_flight:  # stopping: finish what was fetched
                await asyncio.wait(in_flight)
        finally:
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)

    async def process_batch(self, messages: list[Msg]) -> None:
        """Handle a fetched batch: all at once with the batch handler, else by key, groups in parallel."""
        for msg in messages:
            self._held[msg.reply] = _Held(msg, time.monotonic())
            if msg.metadata.num_delivered > 1:
                self._redelivered.inc()
        decoded = [(msg, self._decode(msg)) for msg in messages]
        if self._handle_batch is not None and await self._all_at_once(decoded, self._handle_batch):
            return
        groups: dict[Hashable, list[tuple[Msg, Decoded]]] = {}
        for index, (msg, outcome) in enumerate(decoded):
            if self._concurrency > 1 and isinstance(outcome, tuple) and outcome[0].key is not None:
                key: Hashable = ("key", outcome[0].key(outcome[1]))
            else:
                key = ("alone", index) if self._concurrency > 1 else "all"
            groups.setdefault(key, []).append((msg, outcome))

        async def run(after: asyncio.Task[None] | None, group: list[tuple[Msg, Decoded]], one_key: bool) -> None:
            if after is not None:  # the same key's messages of the previous batch go first
                await asyncio.wait([after])
            async with self._slots:  # taken only after waiting, so that waiting never holds a slot
                # A key's run of messages in one transaction: one commit instead of one per message
                # (never several keys together, whose locks two copies could take in opposite orders).
                together = one_key and self._handle_group is not None and len(group) > 1
                if together and await self._all_at_once(group, self._handle_group):  # type: ignore[arg-type]
                    return
                for msg, outcome in group:
                    await self._handle(msg, outcome)

        tasks = []
        for key, group in groups.items():
            one_key = isinstance(key, tuple) and key[0] == "key"
            task = asyncio.create_task(run(self._tails.get(key), group, one_key))
            self._tails[key] = task
            task.add_done_callback(partial(self._forget_tail, key))
            tasks.append(task)
        await asyncio.gather(*tasks)

    def _forget_tail(self, key: Hashable, task: asyncio.Task[None]) -> None:
        if self._tails.get(key) is task:
            del self._tails[key]

    async def _all_at_once(self, decoded: list[tuple[Msg, Decoded]], handler: BatchHandler) -> bool:
        """One call for these messages (one transaction), outages waited out; on another
        failure, False: the caller handles each message on its own."""
        readable = [(msg, outcome[1]) for msg, outcome in decoded if isinstance(outcome, tuple)]
        if readable:
            items = [(msg.subject, message) for msg, message in readable]
            try:
                await self._outages.retry(lambda: handler(items))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("batch of %d failed (%s); handling each on its own", len(readable), type(exc).__name__)
                return False
            await asyncio.gather(*(self._ack(msg) for msg, _ in readable))
        for msg, outcome in decoded:
            if isinstance(outcome, MalformedMessage):
                await self._reject(msg, outcome.reason)
        return True

    def _decode(self, msg: Msg) -> Decoded:
        """The route and message, or why the message is set aside: an unknown subject, content
        that is not the route's model, or so many deliveries that it must be what kills the
        processes taking it."""
        route = self._routes.get(msg.subject)
        if route is None:
            return MalformedMessage("unknown subject")
        if route is ELSEWHERE:
            return route, Elsewhere()
        if worn_out(msg):
            return MalformedMessage(f"processing failed (delivered {msg.metadata.num_delivered} times)")
        try:
            return route, decode(route.model, msg.data)
        except MalformedMessage as exc:
            return exc

    async def _handle(self, msg: Msg, decoded: Decoded) -> None:
        if isinstance(decoded, MalformedMessage):
            await self._reject(msg, decoded.reason)
            return
        route, message = decoded
        failures = 0
        while True:
            try:
                await self._outages.retry(lambda: route.handle(message))
            except asyncio.CancelledError:
                raise
            except Exception:
                failures += 1
                log.exception(
                    "failed to process a message on %s (attempt %d of %d)", msg.subject, failures, MAX_ATTEMPTS
                )
                if failures >= MAX_ATTEMPTS:
                    await self._reject(msg, "processing failed")
                    return
                await asyncio.sleep(self._retry_wait(failures))  # held meanwhile (kept alive)
                continue
            break
        await self._ack(msg)

    async def _reject(self, msg: Msg, reason: str) -> None:
        """Record the rejection (outages waited out), then ack; a rejection that cannot be recorded
        leaves the message unacknowledged, to be tried again."""
        event_id, subject = readable_event_id(msg.data), printable(msg.subject)
        log.warning("rejected a message on %s: %s", subject, reason)
        try:
            await self._outages.retry(lambda: self._on_reject(subject, event_id, reason))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not record a rejection on %s; the message stays unacknowledged", subject)
            self._held.pop(msg.reply, None)
            await quietly(msg.nak(delay=30.0))
            return
        metrics.REJECTED.labels(self._durable, reason_label(reason)).inc()
        await self._ack(msg, processed=False)

    async def _ack(self, msg: Msg, processed: bool = True) -> None:
        """Acknowledge a message whose effect is committed. If the ack is lost (the bus is away),
        the message comes back and its handler, being idempotent, changes nothing."""
        self._held.pop(msg.reply, None)
        await quietly(msg.ack())
        if processed:
            self._processed.inc()

    async def _keep_alive(self) -> None:
        """Tell JetStream that messages held for a while are still being worked on, well within the
        ack wait. Most are settled before: they cost JetStream nothing more than their ack."""
        age = metrics.CONSUMER_BACKLOG_AGE.labels(self._durable)
        while True:
            await asyncio.sleep(self._ack_wait / 4)
            now = time.monotonic()
            due = [held for held in list(self._held.values()) if now - held.alive_since >= self._ack_wait / 3]
            for held in due:
                held.alive_since = now
            if due:
                await asyncio.gather(*(held.msg.in_progress() for held in due), return_exceptions=True)
            age.set(self.backlog_age())

    async def _watch(self) -> None:
        """The consumer's state, as JetStream sees it, for the metrics."""
        pending = metrics.CONSUMER_PENDING.labels(self._durable)
        ack_pending = metrics.CONSUMER_ACK_PENDING.labels(self._durable)
        redelivered = metrics.CONSUMER_REDELIVERED.labels(self._durable)
        while True:
            try:
                info = await self._js.consumer_info(self._stream, self._durable, timeout=2.0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not is_outage(exc):
                    log.warning("consumer info of %s: %s", self._durable, type(exc).__name__)
            else:
                pending.set(info.num_pending or 0)
                ack_pending.set(info.num_ack_pending or 0)
                redelivered.set(info.num_redelivered or 0)
            await asyncio.sleep(CONSUMER_INFO_SECONDS)
