"""GET /events: a physician's server-sent events, `delivered` when a new document arrives (B4)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from ..live import FEED_KEY, Signal
from ..sessions import account_with_role

KEEP_ALIVE_SECONDS = 15.0
STREAM_SECONDS = 600.0  # then the browser reconnects, and its session is checked again
RECONNECT_MILLISECONDS = 3000
# A browser that does not take a few bytes in this long is gone or stuck: its stream ends.
WRITE_TIMEOUT_SECONDS = 30.0

RETRY = b"retry: %d\n\n" % RECONNECT_MILLISECONDS
DELIVERED = b"event: delivered\ndata: {}\n\n"
KEEP_ALIVE = b": keep-alive\n\n"


async def events(request: web.Request) -> web.StreamResponse:
    """Stream `delivered` events until the time limit, the browser leaving, or the gateway stopping."""
    account = account_with_role(request, "physician")
    feed = request.config_dict[FEED_KEY]
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "X-Accel-Buffering": "no"})
    try:
        # Listening before the headers go out: once the browser sees the stream open, no delivery is missed.
        with feed.listen(account.id) as signals:
            await response.prepare(request)
            await _write(response, RETRY)
            if not feed.closing:  # a stopping gateway only tells the browser to come back (to another copy)
                await _stream(response, signals)
        async with asyncio.timeout(WRITE_TIMEOUT_SECONDS):
            await response.write_eof()
    except ConnectionError:
        pass  # the browser left
    except TimeoutError:
        # It stopped reading: drop the connection rather than wait on it (aiohttp would, to end the response).
        if request.transport is not None:
            request.transport.abort()
    return response


async def _stream(response: web.StreamResponse, signals: asyncio.Queue[Signal]) -> None:
    loop = asyncio.get_running_loop()
    ends_at = loop.time() + STREAM_SECONDS
    while (left := ends_at - loop.time()) > 0:
        try:
            signal = await asyncio.wait_for(signals.get(), timeout=min(KEEP_ALIVE_SECONDS, left))
        except TimeoutError:
            await _write(response, KEEP_ALIVE)
            continue
        if signal == "closing":
            return
        await _write(response, DELIVERED)


async def _write(response: web.StreamResponse, data: bytes) -> None:
    async with asyncio.timeout(WRITE_TIMEOUT_SECONDS):
        await response.write(data)
