"""Who calls the API: `Authorization: Bearer <token>`, checked by the API's pluggable verifier.

No cookie is read: a browser's session never reaches the API. Identity's signed session tokens
are no API tokens either: the gateway asks for them for its own sessions and hands them to the
services, never takes one from outside. There is no issuer of API tokens yet, so the default verifier refuses every token; the FHIR API
will plug its OAuth 2.0 / SMART on FHIR verifier in with `make_api_app(verifier=...)`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from .problems import INVALID_TOKEN


@dataclass(frozen=True)
class BearerGrant:
    """What a valid token grants: to whom it was issued, and its scopes."""

    subject: str
    scopes: frozenset[str]


TokenVerifier = Callable[[str], Awaitable[BearerGrant | None]]
"""Checks a token (signature, issuer, audience, expiry...): its grant, or None to refuse it."""

VERIFIER_KEY = web.AppKey[TokenVerifier]("api_token_verifier")
GRANT_KEY = web.RequestKey("api_grant", BearerGrant)
"""The verified grant, for the views of every route that needs a token."""

NO_TOKEN = "Bearer"
"""The challenge (RFC 6750) for a request that presented no bearer token."""

_B64TOKEN = re.compile(r"[A-Za-z0-9._~+/-]+=*")  # RFC 6750 section 2.1


async def refuse_every_token(token: str) -> BearerGrant | None:
    """The default verifier: no one issues API tokens yet."""
    return None


def bearer_auth(public: frozenset[Handler]) -> Middleware:
    """A middleware asking a valid bearer token for every route but the views in `public`.

    A path or method the API does not have is refused the same way (401) before it is answered
    404 or 405: only callers who may use the API learn which paths it has.
    """

    @web.middleware
    async def bearer(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.match_info.handler in public:
            return await handler(request)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":  # no token, or another scheme: no error code (RFC 6750 3.1)
            raise web.HTTPUnauthorized(headers={"WWW-Authenticate": NO_TOKEN})
        token = token.strip(" ")
        grant = await request.config_dict[VERIFIER_KEY](token) if _B64TOKEN.fullmatch(token) else None
        if grant is None:
            raise web.HTTPUnauthorized(headers={"WWW-Authenticate": INVALID_TOKEN})
        request[GRANT_KEY] = grant
        return await handler(request)

    return bearer
