"""GET /api/health: for practice software and monitors, without a token."""

from __future__ import annotations

from aiohttp import web

from ..state import readiness_of


async def health(request: web.Request) -> web.Response:
    """The gateway answers (`status`); `ready`: it can serve now (the metrics port's `/readyz`).

    No bus call, and not the checks' names: a caller learns no more than whether to come back.
    """
    ready, _checks = readiness_of(request)()
    return web.json_response({"status": "ok", "ready": ready})
