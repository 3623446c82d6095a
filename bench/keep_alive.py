"""A lean HTTP/1.1 client for the page load: one keep-alive connection, GET only, the browser's cookies.

The load generator shares the two cores with the portal; aiohttp's client spends about 0.4 ms
of CPU per request, a fifth of what a page costs the portal, so the pages measurement writes its
requests itself and reads answers with a Content-Length (all the gateway's pages have one).
The logins before it go through aiohttp, as a browser would.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from .physicians import Browser


class HttpError(Exception):
    """An answer this client does not read (no Content-Length), or a closed connection."""


class KeepAliveClient:
    def __init__(self, base: str, cookie: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self._head = f"Host: {parts.netloc}\r\nCookie: {cookie}\r\nAccept: text/html\r\n\r\n".encode()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    @classmethod
    def of(cls, browser: Browser, base: str) -> KeepAliveClient:
        """A connection to `base` carrying the logged-in browser's cookies."""
        jar = browser.session.cookie_jar.filter_cookies(browser.base)  # type: ignore[arg-type]
        return cls(base, "; ".join(f"{name}={morsel.value}" for name, morsel in jar.items()))

    async def get(self, path: str) -> tuple[int, bytes]:
        """GET `path`: the status and the body."""
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        self._writer.write(b"GET " + path.encode() + b" HTTP/1.1\r\n" + self._head)
        try:
            head = await self._reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            await self.close()
            raise HttpError("connection closed by the server") from None
        status, length, closing = _parse_head(head)
        body = await self._reader.readexactly(length)
        if closing:
            await self.close()
        return status, body

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._reader = self._writer = None


def _parse_head(head: bytes) -> tuple[int, int, bool]:
    """Status, Content-Length and whether the server closes the connection."""
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length: int | None = None
    closing = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and value.strip().lower() == b"close":
            closing = True
    if length is None:
        raise HttpError(f"an answer ({status}) without Content-Length")
    return status, length, closing
