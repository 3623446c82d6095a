"""New documents and answers without reloading (B4, B2): the documents service's delivery events and
the requests service's answers, fanned out to the event streams each account has open on this gateway.

The gateway subscribes once to each. Each open stream has a small queue; an event for a full queue is
dropped (the stream already has one waiting, which makes the page fetch its list again), so
a browser that reads slowly never holds anyone else up.

A stream ends with its session (`sessions_ended`). An account holds at most
MAX_STREAMS_PER_ACCOUNT streams on one gateway copy (behind a load balancer spreading them over
several copies, that many on each): a new one ends the account's oldest, which tells its page
to stop listening until it is looked at again (static/live.js). The newest tab is the one in
front of the physician; refusing it instead would leave that tab without live updates.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from aiohttp import web
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.errors import Error as NatsError

from common.bus import listen
from common.contracts.documents import DELIVERED_EVENT_PREFIX
from common.contracts.requests import ANSWER_ARRIVED, AnswerArrived

from .state import CleanupContext

QUEUE_SIZE = 4
MAX_STREAMS_PER_ACCOUNT = 5
"""A browser speaking HTTP/1.1 holds at most 6 connections to a site: a sixth stream would leave
its pages none."""

Signal = Literal["delivered", "answered", "closing", "ended", "superseded"]
"""A document arrived; a service answered a request; the gateway is stopping; the session ended; a
newer stream took this one's place."""


@dataclass(eq=False)
class _Stream:
    session_id: str
    signals: asyncio.Queue[Signal]


def _last_word(stream: _Stream, signal: Signal) -> None:
    """Tell the stream to end: `signal` replaces whatever it had not read yet."""
    while not stream.signals.empty():
        stream.signals.get_nowait()
    stream.signals.put_nowait(signal)


class DeliveryFeed:
    """The open event streams of each account, told when a document is delivered to it or a service
    answered one of its requests."""

    def __init__(self) -> None:
        self._streams: dict[str, list[_Stream]] = {}  # by account, oldest first
        self.closing = False

    @contextmanager
    def listen(self, account_id: str, session_id: str) -> Iterator[asyncio.Queue[Signal]]:
        """A queue that receives the account's signals while the `with` block lasts."""
        streams = self._streams.setdefault(account_id, [])
        if len(streams) >= MAX_STREAMS_PER_ACCOUNT:
            _last_word(streams.pop(0), "superseded")
        stream = _Stream(session_id, asyncio.Queue(QUEUE_SIZE))
        streams.append(stream)
        try:
            yield stream.signals
        finally:
            if stream in streams:
                streams.remove(stream)
            if not streams and self._streams.get(account_id) is streams:
                del self._streams[account_id]

    def delivered(self, account_id: str, signal: Signal = "delivered") -> None:
        """Tell every open stream of the account; never waits."""
        for stream in self._streams.get(account_id, ()):
            try:
                stream.signals.put_nowait(signal)
            except asyncio.QueueFull:
                pass  # signals are already waiting: the page fetches its live parts once for all

    def answered(self, arrived: AnswerArrived) -> None:
        """`requests.events.answered`: a service answered one of the account's requests."""
        self.delivered(str(arrived.account_id), "answered")

    def sessions_ended(self, account_id: str, session_ids: Collection[str]) -> None:
        """End the account's streams opened by these sessions (identity ended them)."""
        streams = self._streams.get(account_id, [])
        for stream in [stream for stream in streams if stream.session_id in session_ids]:
            streams.remove(stream)
            _last_word(stream, "ended")
        if not streams:
            self._streams.pop(account_id, None)

    def close(self) -> None:
        """Ask every stream to end now (the gateway is stopping; browsers reconnect elsewhere)."""
        self.closing = True
        for streams in self._streams.values():
            for stream in streams:
                _last_word(stream, "closing")

    async def on_message(self, msg: Msg) -> None:
        """NATS callback for `documents.events.delivered.<account id>`; the payload is not needed."""
        self.delivered(msg.subject[len(DELIVERED_EVENT_PREFIX) :])


FEED_KEY = web.AppKey("delivery_feed", DeliveryFeed)


def delivery_feed(bus: NATS) -> CleanupContext:
    """A cleanup context: one subscription to each kind of event on `bus` for the whole gateway, ended
    after the last request."""

    async def feed_of_deliveries(app: web.Application) -> AsyncIterator[None]:
        feed = app[FEED_KEY] = DeliveryFeed()
        subscriptions = [
            await bus.subscribe(DELIVERED_EVENT_PREFIX + "*", cb=feed.on_message),
            await listen(bus, ANSWER_ARRIVED, feed.answered),
        ]
        yield
        feed.close()
        for subscription in subscriptions:
            try:
                await subscription.unsubscribe()
            except NatsError:
                pass  # the connection was drained or closed first: the subscription went with it

    return feed_of_deliveries


async def end_event_streams(app: web.Application) -> None:
    """on_shutdown: end the long-lived event streams, so that stopping does not wait for them."""
    app[FEED_KEY].close()
