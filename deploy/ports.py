"""Loopback ports for the stack's servers: one nothing listens on, whether one is free, and whether
what listens there answers."""

from __future__ import annotations

import asyncio
import os
import random
import socket

import aiohttp

PORT_BAND = "PORTAL_PORT_BAND"
"""`first-last`: choose free ports in that band only. Test workers running side by side each take a
band of their own: ports the kernel hands out (bind to port 0) are free when chosen, but another
worker may be handed the same one before the first starts listening on it."""


def port_band(worker: int, width: int = 1500, base: int = 20000) -> str:
    """Worker `worker`'s band, below the kernel's ephemeral ports (32768 and up)."""
    first = base + worker * width
    if first + width > 32768:
        raise ValueError(f"no port band for worker {worker}")
    return f"{first}-{first + width - 1}"


def free_port(avoid: frozenset[int] | set[int] = frozenset()) -> int:
    """A port nothing listens on now, other than those in `avoid` (chosen, not yet listening)."""
    band = os.environ.get(PORT_BAND)
    if band:
        first, last = (int(end) for end in band.split("-"))
        candidates = list(range(first, last + 1))
        random.shuffle(candidates)
        for port in candidates:
            if port not in avoid and port_is_free(port):
                return port
        raise RuntimeError(f"no free port left in {PORT_BAND}={band}")
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
