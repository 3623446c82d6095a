"""Loopback ports for the stack's servers: one nothing listens on, whether one is free, and whether
what listens there answers."""

from __future__ import annotations

import asyncio
import socket

import aiohttp


def free_port(avoid: frozenset[int] | set[int] = frozenset()) -> int:
    """A port nothing listens on now, other than those in `avoid` (chosen, not yet listening)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in avoid:
            return port


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


async def http_ok(url: str) -> bool:
    """Whether `url` answers 200 within a second."""
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=1)) as r:
                return r.status == 200
    except (TimeoutError, aiohttp.ClientError):
        return False


async def port_open(port: int) -> bool:
    """Whether something accepts connections on this loopback port."""
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    return True
