"""Secure applications (F4) for physicians: the catalogue, asking to enrol, and opening one.

Opening an application is a page whose form posts the assertion identity signed to the
application (a script submits it at once; the button does it without scripts). The page's CSP
lets forms lead to that application's origin besides the portal's own, and nowhere else.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from aiohttp import web
from yarl import URL

from common.bus import call
from common.contracts import applications as api
from common.contracts.base import Empty

from ..middlewares import csp_with_form_action
from ..pages import render_page, see_other
from ..sessions import current_token
from ..state import bus_of

APP_ID = r"[0-9a-f-]{36}"
KEYS_SECONDS = 60  # how long the gateway and the applications may keep the public keys (a rotation shows within it)


@dataclass
class _KeySet:
    """The published keys as last answered by identity, and when."""

    body: bytes = b""
    at: float = float("-inf")


_keys = _KeySet()


async def catalogue_page(request: web.Request) -> web.Response:
    """GET /applications: the applications, and what the physician may do with each."""
    found = await call(bus_of(request), api.LIST_CATALOGUE, Empty(), token=current_token(request))
    return render_page(request, "applications.html", {"applications": found.applications})


async def enrol(request: web.Request) -> web.Response:
    """POST /applications/{id}/enrolment: ask an administrator for access."""
    ref = api.ApplicationRef(id=request.match_info["id"])
    await call(bus_of(request), api.ENROL, ref, token=current_token(request))
    return see_other("/applications")


async def open_application(request: web.Request) -> web.Response:
    """POST /applications/{id}/open: hand the physician's identity over to the application."""
    ref = api.ApplicationRef(id=request.match_info["id"])
    opening = await call(bus_of(request), api.OPEN_APPLICATION, ref, token=current_token(request))
    response = render_page(request, "application_open.html", {"opening": opening})
    response.headers["Content-Security-Policy"] = csp_with_form_action(str(URL(opening.url).origin()))
    return response


async def public_keys(request: web.Request) -> web.Response:
    """GET /.well-known/jwks.json: the keys that verify the assertions (public, cached a while)."""
    if time.monotonic() - _keys.at > KEYS_SECONDS:
        keys = await call(bus_of(request), api.GET_PUBLIC_KEYS, Empty())
        _keys.body, _keys.at = keys.model_dump_json().encode(), time.monotonic()
    return web.Response(
        body=_keys.body,
        content_type="application/jwk-set+json",
        headers={"Cache-Control": f"public, max-age={KEYS_SECONDS}", "Access-Control-Allow-Origin": "*"},
    )
