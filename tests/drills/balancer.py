"""A load balancer in front of several gateways, as nginx would be in production.

Requests go to the gateways in turn. A GET that cannot reach one (connection refused, or
dropped before any answer: the gateway is restarting) is tried on the next, as nginx does with
`proxy_next_upstream error`. Anything else passes through as it is.
"""

from __future__ import annotations

import itertools

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "upgrade"}
CONNECT_SECONDS = 2.0


class Balancer:
    def __init__(self, upstreams: list[str], port: int) -> None:
        self.upstreams = upstreams
        self.port = port
        self.retried = 0  # requests that had to go to another gateway
        self._turn = itertools.cycle(range(len(upstreams)))
        self._client: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._client = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=30, connect=CONNECT_SECONDS), auto_decompress=False
        )
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._client is not None:
            await self._client.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._client is not None
        body = await request.read()
        headers = CIMultiDict((n, v) for n, v in request.headers.items() if n.lower() not in HOP_BY_HOP)
        first = next(self._turn)
        order = self.upstreams[first:] + self.upstreams[:first]
        last_error: Exception | None = None
        for attempt, upstream in enumerate(order):
            try:
                async with self._client.request(
                    request.method,
                    upstream + request.rel_url.raw_path_qs,
                    headers=headers,
                    data=body,
                    allow_redirects=False,
                ) as answer:
                    content = await answer.read()
                    if attempt:
                        self.retried += 1
                    reply_headers = CIMultiDict(
                        (n, v) for n, v in answer.headers.items() if n.lower() not in HOP_BY_HOP
                    )
                    return web.Response(status=answer.status, body=content, headers=reply_headers)
            except (aiohttp.ClientConnectionError, aiohttp.ServerDisconnectedError) as exc:
                if request.method not in ("GET", "HEAD"):
                    raise web.HTTPBadGateway() from None
                last_error = exc
        raise web.HTTPBadGateway(text=f"no gateway answered ({type(last_error).__name__})")
