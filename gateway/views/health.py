"""Liveness for operations: answers as long as the process serves HTTP."""

from __future__ import annotations

from aiohttp import web


async def healthz(request: web.Request) -> web.Response:
    """GET /healthz: no bus call, so a slow service never marks the gateway dead."""
    return web.json_response({"status": "ok"})
