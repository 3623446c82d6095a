"""Durable JetStream consumers: typed dispatch, ack after commit, bad messages set aside.

Handlers are idempotent (they record each `event_id` in their inbox table in the same
transaction as their effects), so a redelivery after a crash changes nothing.
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Hashable

import asyncpg
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.errors import TimeoutError as NatsTimeout
from nats.js.errors import NotFoundError
from pydantic import BaseModel

from .codec import MalformedMessage, decode
from .errors import ServiceUnavailable

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
"""A message that keeps failing for a reason other than an outage is set aside after this many tries."""

TRANSIENT = (OSError, asyncpg.PostgresConnectionError, asyncpg.TooManyConnectionsError, ServiceUnavailable)


@dataclass(frozen=True)
class Route:
    model: type[BaseModel]
    handle: Callable[[Any], Awaitable[None]]
    key: Callable[[Any], Hashable] | None = None
    """Messages with the same key are handled one after the other, in stream order; others in parallel."""


BatchHandler = Callable[[list[tuple[str, BaseModel]]], Awaitable[None]]
"""Handles readable messages at once (one transaction), as (subject, message), in stream order:
every message of a fetch (`handle_batch`), or the run of one key's messages in it (`handle_group`)."""

RejectHandler = Callable[[str, str | None, str], Awaitable[None]]
"""Called with (subject, event_id when readable, reason) for a message that cannot be processed."""


def readable_event_id(data: bytes) -> str | None:
    """The `event_id` of a message that failed validation, when it can still be read."""
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    event_id = value.get("event_id") if isinstance(value, dict) else None
    return event_id if isinstance(event_id, str) and 0 < len(event_id) <= 200 else None


class DurableConsumer:
    """One durable pull consumer shared by every copy of a service (the work is split between them)."""

    def __init__(
        self,
        js: JetStreamContext,
        *,
        stream: str,
        durable: str,
        filter_subject: str,
        routes: dict[str, Route],
        on_reject: RejectHandler,
        batch: int = 64,
        ack_wait: float = 30.0,
        concurrency: int = 1,
        handle_batch: BatchHandler | None = None,
        handle_group: BatchHandler | None = None,
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
        self._slots = asyncio.Semaphore(self._concurrency)
        self._tails: dict[Hashable, asyncio.Task[None]] = {}

    async def run(self) -> None:
        config = ConsumerConfig(
            durable_name=self._durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self._ack_wait,
            max_ack_pending=4 * self._batch,
            filter_subject=self._filter,
        )
        subscription = None
        while subscription is None:
            try:
                subscription = await self._js.pull_subscribe(
                    self._filter, durable=self._durable, stream=self._stream, config=config
                )
            except NotFoundError:
                # The stream's owner has not created it yet: wait for it rather than fail.
                log.info("stream %s not there yet, waiting", self._stream)
                await asyncio.sleep(1.0)
        log.info("consuming %s from %s as %s", self._filter, self._stream, self._durable)
        try:
            await self._pull(subscription)
        finally:
            # Stop interest now: draining the connection would otherwise wait on pull replies.
            await subscription.unsubscribe()

    async def _pull(self, subscription: JetStreamContext.PullSubscription) -> None:
        # With keyed concurrency, the next batch is fetched while the current one's slowest key
        # finishes (two batches in flight); messages of one key still go one after the other.
        depth = 2 if self._concurrency > 1 and self._handle_batch is None else 1
        in_flight: set[asyncio.Task[None]] = set()
        try:
            while True:
                if len(in_flight) >= depth:
                    _, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                try:
                    messages = await subscription.fetch(self._batch, timeout=1.0)
                except NatsTimeout:
                    continue
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("fetch from %s failed (%s)", self._stream, type(exc).__name__)
                    await asyncio.sleep(1.0)
                    continue
                in_flight.add(asyncio.create_task(self.process_batch(messages)))
        finally:
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)

    async def process_batch(self, messages: list[Msg]) -> None:
        """Handle a fetched batch: all at once with the batch handler, else by key, groups in parallel."""
        decoded = [(msg, self._decode(msg)) for msg in messages]
        if self._handle_batch is not None and await self._all_at_once(decoded, self._handle_batch):
            return
        groups: dict[Hashable, list[tuple[Msg, tuple[Route, BaseModel] | MalformedMessage]]] = {}
        for index, (msg, outcome) in enumerate(decoded):
            if self._concurrency > 1 and isinstance(outcome, tuple) and outcome[0].key is not None:
                key: Hashable = ("key", outcome[0].key(outcome[1]))
            else:
                key = ("alone", index) if self._concurrency > 1 else "all"
            groups.setdefault(key, []).append((msg, outcome))
        async def run(
            after: asyncio.Task[None] | None,
            group: list[tuple[Msg, tuple[Route, BaseModel] | MalformedMessage]],
            one_key: bool,
        ) -> None:
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
            task.add_done_callback(lambda done, key=key: self._forget_tail(key, done))
            tasks.append(task)
        await asyncio.gather(*tasks)

    def _forget_tail(self, key: Hashable, task: asyncio.Task[None]) -> None:
        if self._tails.get(key) is task:
            del self._tails[key]

    async def _all_at_once(
        self, decoded: list[tuple[Msg, tuple[Route, BaseModel] | MalformedMessage]], handler: BatchHandler
    ) -> bool:
        """One call for these messages (one transaction); on failure, each message on its own."""
        readable = [(msg, outcome[1]) for msg, outcome in decoded if isinstance(outcome, tuple)]
        if readable:
            try:
                await handler([(msg.subject, message) for msg, message in readable])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("batch of %d failed (%s); handling each on its own", len(readable), type(exc).__name__)
                return False
            await asyncio.gather(*(msg.ack() for msg, _ in readable))
        for msg, outcome in decoded:
            if isinstance(outcome, MalformedMessage):
                await self._reject(msg, outcome.reason)
        return True

    def _decode(self, msg: Msg) -> tuple[Route, BaseModel] | MalformedMessage:
        route = self._routes.get(msg.subject)
        if route is None:
            return MalformedMessage("unknown subject")
        try:
            return route, decode(route.model, msg.data)
        except MalformedMessage as exc:
            return exc

    async def _handle(self, msg: Msg, decoded: tuple[Route, BaseModel] | MalformedMessage) -> None:
        if isinstance(decoded, MalformedMessage):
            await self._reject(msg, decoded.reason)
            return
        route, message = decoded
        try:
            await route.handle(message)
        except asyncio.CancelledError:
            raise
        except TRANSIENT as exc:
            log.warning("transient failure on %s (%s), will retry", msg.subject, type(exc).__name__)
            await msg.nak(delay=1.0)
            return
        except Exception:
            attempts = msg.metadata.num_delivered
            log.exception("failed to process a message on %s (attempt %d)", msg.subject, attempts)
            if attempts >= MAX_ATTEMPTS:
                await self._reject(msg, "processing failed")
            else:
                await msg.nak(delay=min(30.0, 2.0**attempts))
            return
        await msg.ack()

    async def _reject(self, msg: Msg, reason: str) -> None:
        event_id = readable_event_id(msg.data)
        log.warning("rejected a message on %s: %s", msg.subject, reason)
        try:
            await self._on_reject(msg.subject, event_id, reason)
        except asyncio.CancelledError:
            raise
        except TRANSIENT:
            await msg.nak(delay=1.0)  # recording the rejection must not be lost either: retry
            return
        except Exception:
            log.exception("could not record a rejection on %s", msg.subject)
        await msg.ack()
