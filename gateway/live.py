"""New documents without reloading (B4): the documents service's delivery events, fanned out to the
event streams each account has open on this gateway.

The gateway subscribes once. Each open stream has a small queue; an event for a full queue is
dropped (the stream already has one waiting, which makes the page fetch its list again), so
a browser that reads slowly never holds anyone else up.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Literal

from aiohttp import web
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.errors import Error as NatsError

from common.contracts.documents import DELIVERED_EVENT_PREFIX

from .state import CleanupContext

QUEUE_SIZE = 4

Signal = Literal["delivered", "closing"]


class DeliveryFeed:
    """The open event streams of each account, told when a document is delivered to it."""

    def __init__(self) -> None:
        self._streams: dict[str, set[asyncio.Queue[Signal]]] = {}
        self.closing = False

    @contextmanager
    def listen(self, account_id: str) -> Iterator[asyncio.Queue[Signal]]:
        """A queue that receives the account's signals while the `with` block lasts."""
        queue: asyncio.Queue[Signal] = asyncio.Queue(QUEUE_SIZE)
        streams = self._streams.setdefault(account_id, set())
        streams.add(queue)
        try:
            yield queue
        finally:
            streams.discard(queue)
            if not streams:
                self._streams.pop(account_id, None)

    def delivered(self, account_id: str) -> None:
        """Tell every open stream of the account; never waits."""
        for queue in self._streams.get(account_id, ()):
            try:
                queue.put_nowait("delivered")
            except asyncio.QueueFull:
                pass  # one signal is already waiting: the page fetches its list once for both

    def close(self) -> None:
        """Ask every stream to end now (the gateway is stopping; browsers reconnect elsewhere)."""
        self.closing = True
        for streams in self._streams.values():
            for queue in streams:
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait("closing")

    async def on_message(self, msg: Msg) -> None:
        """NATS callback for `documents.events.delivered.<account id>`; the payload is not needed."""
        self.delivered(msg.subject[len(DELIVERED_EVENT_PREFIX) :])


FEED_KEY = web.AppKey("delivery_feed", DeliveryFeed)


def delivery_feed(bus: NATS) -> CleanupContext:
    """A cleanup context: one subscription on `bus` for the whole gateway, ended after the last request."""

    async def feed_of_deliveries(app: web.Application) -> AsyncIterator[None]:
        feed = app[FEED_KEY] = DeliveryFeed()
        subscription = await bus.subscribe(DELIVERED_EVENT_PREFIX + "*", cb=feed.on_message)
        yield
        feed.close()
        try:
            await subscription.unsubscribe()
        except NatsError:
            pass  # the connection was drained or closed first: the subscription went with it

    return feed_of_deliveries


async def end_event_streams(app: web.Application) -> None:
    """on_shutdown: end the long-lived event streams, so that stopping does not wait for them."""
    app[FEED_KEY].close()
