"""The API sub-application: its routes, its middlewares, its headers."""

from __future__ import annotations

from aiohttp import web

from .bearer import VERIFIER_KEY, TokenVerifier, bearer_auth, refuse_every_token
from .health import health
from .problems import problems

API_PREFIX = "/api/"

API_CSP = "default-src 'none'; frame-ancestors 'none'"
"""JSON runs nothing: a browser that opens an answer of the API loads nothing either."""


async def api_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare of the API: answers may name patients, no cache keeps them unless a
    view says otherwise."""
    response.headers["Content-Security-Policy"] = API_CSP
    response.headers.setdefault("Cache-Control", "no-store")


def make_api_app(verifier: TokenVerifier = refuse_every_token) -> web.Application:
    """The API, to mount at `API_PREFIX`; `verifier` checks its bearer tokens (see `bearer`)."""
    api = web.Application(
        # Outermost first: errors wrap the token check, which refuses by raising.
        middlewares=[problems, bearer_auth(public=frozenset({health}))],
    )
    api[VERIFIER_KEY] = verifier
    api.on_response_prepare.append(api_headers)
    api.add_routes([web.get("/health", health)])
    return api
