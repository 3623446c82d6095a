"""GET /events: a physician's server-sent events, `delivered` when a new document arrives (B4),
`answered` when a service answers one of their requests (B2).

A stream ends with its session: at once when identity announces that it ended (a logout, ended
from another session or by an administrator: live.py), else at the next check of the session,
every SESSION_CHECK_SECONDS (it expired, or this gateway missed the announcement). A stream
that a newer one of the same account took the place of ends with `superseded` (live.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial

from aiohttp import web

from common.errors import DomainError, Unauthenticated

from ..live import FEED_KEY, Signal
from ..sessions import SESSION_MEMORY_KEY, current_session, session_cookie

KEEP_ALIVE_SECONDS = 15.0
STREAM_SECONDS = 600.0  # then the browser reconnects, and its session is checked again
SESSION_CHECK_SECONDS = 30.0  # a session's idle time is known to 30 s anyway (identity writes it that often)
RECONNECT_MILLISECONDS = 3000
# A browser that does not take a few bytes in this long is gone or stuck: its stream ends.
WRITE_TIMEOUT_SECONDS = 30.0

RETRY = b"retry: %d\n\n" % RECONNECT_MILLISECONDS
DELIVERED = b"event: delivered\ndata: {}\n\n"
ANSWERED = b"event: answered\ndata: {}\n\n"
NEWS = {"delivered": DELIVERED, "answered": ANSWERED}
SUPERSEDED = b"event: superseded\ndata: {}\n\n"
KEEP_ALIVE = b": keep-alive\n\n"


async def events(request: web.Request) -> web.StreamResponse:
    """Stream `delivered` and `answered` events until the time limit, the session's end, the browser leaving, or
    the gateway stopping."""
    account = current_session(request).account  # a physician's: the route's audience (access.py)
    feed = request.config_dict[FEED_KEY]
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "X-Accel-Buffering": "no"})
    try:
        # Listening before the headers go out: once the browser sees the stream open, no delivery is missed.
        with feed.listen(account.id, current_session(request).session_id) as signals:
            await response.prepare(request)
            await _write(response, RETRY)
            if not feed.closing:  # a stopping gateway only tells the browser to come back (to another copy)
                await _stream(response, signals, partial(_session_lives, request))
        async with asyncio.timeout(WRITE_TIMEOUT_SECONDS):
            await response.write_eof()
    except ConnectionError:
        pass  # the browser left
    except TimeoutError:
        # It stopped reading: drop the connection rather than wait on it (aiohttp would, to end the response).
        if request.transport is not None:
            request.transport.abort()
    return response


async def _stream(
    response: web.StreamResponse, signals: asyncio.Queue[Signal], session_lives: Callable[[], Awaitable[bool]]
) -> None:
    loop = asyncio.get_running_loop()
    ends_at = loop.time() + STREAM_SECONDS
    checks_at = loop.time() + SESSION_CHECK_SECONDS
    while (left := ends_at - loop.time()) > 0:
        if loop.time() >= checks_at:
            if not await session_lives():
                return
            checks_at = loop.time() + SESSION_CHECK_SECONDS
        try:
            signal = await asyncio.wait_for(signals.get(), timeout=min(KEEP_ALIVE_SECONDS, left))
        except TimeoutError:
            await _write(response, KEEP_ALIVE)
            continue
        if signal in NEWS:
            await _write(response, NEWS[signal])
            continue
        if signal == "superseded":
            await _write(response, SUPERSEDED)
        return  # the gateway stopping, the session ended, or another stream in its place


async def _session_lives(request: web.Request) -> bool:
    """Whether the stream's session is still alive, asked without counting as the physician's activity."""
    handle = session_cookie(request)
    if handle is None:
        return False
    try:
        await request.config_dict[SESSION_MEMORY_KEY].resolve(handle, touch=False)
    except Unauthenticated:
        return False
    except DomainError:
        return True  # identity away: the stream goes on, and asks again at the next check
    return True


async def _write(response: web.StreamResponse, data: bytes) -> None:
    async with asyncio.timeout(WRITE_TIMEOUT_SECONDS):
        await response.write(data)
