"""A stand-in for the partner applications of the catalogue (F4), for the demo and the tests.

It receives the assertion the portal hands over (`POST /<application>` with the form field
`assertion`) and checks it as a real application must: the signature with the portal's published
keys (`/.well-known/jwks.json`), the issuer, the audience, the expiry, and that its `jti` was
never used before. `verify_assertion` is the reference for the applications' teams, who should
know:
- the audience is the application's own identifier, a constant of its configuration; this
  stand-in plays every demo application, one per path, so each path names one;
- the `jti` already used must be kept where every copy of the application sees it (a database,
  a shared cache) until their expiry, not in one process's memory as here;
- keys are fetched again for an unknown `kid` (a rotation), at most once a minute.

Configuration: PARTNER_PORT, PORTAL_PUBLIC_URL (the issuer, where the keys are published).
"""

from __future__ import annotations

import html
import os
import time
from typing import Any

import aiohttp
import jwt
from aiohttp import web

ALGORITHMS = ["EdDSA"]
REQUIRED = ["iss", "aud", "sub", "iat", "exp", "jti"]
KEYS_REFETCH_SECONDS = 60


class Refused(Exception):
    """The assertion cannot be accepted; the message says why (no secret in it)."""


def verify_assertion(
    token: str, keys: list[dict[str, Any]], audience: str, issuer: str, seen: dict[str, int], now: float | None = None
) -> dict[str, Any]:
    """The assertion's claims if it is the portal's, for `audience`, unexpired and never seen;
    its `jti` is then remembered in `seen` until it expires."""
    moment = int(now if now is not None else time.time())
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = next((jwt.PyJWK(jwk) for jwk in keys if jwk.get("kid") == kid), None)
        if key is None:
            raise Refused("unknown signing key")
        claims = jwt.decode(
            token,
            key,
            algorithms=ALGORITHMS,
            audience=audience,
            issuer=issuer,
            options={"require": REQUIRED, "verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
    except jwt.InvalidTokenError as exc:
        raise Refused(f"invalid assertion: {type(exc).__name__}") from None
    if not claims["iat"] - 5 <= moment < claims["exp"]:  # our own clock, so that tests can move it
        raise Refused("expired assertion")
    for jti in [jti for jti, expiry in seen.items() if expiry <= moment]:
        del seen[jti]
    if claims["jti"] in seen:
        raise Refused("assertion already used")
    seen[claims["jti"]] = int(claims["exp"])
    return claims


class PartnerApplication:
    def __init__(self, issuer: str) -> None:
        self.issuer = issuer.rstrip("/")
        self.keys: list[dict[str, Any]] = []
        self.seen: dict[str, int] = {}
        self.fetched_at = 0.0

    async def _keys(self, refresh: bool) -> list[dict[str, Any]]:
        if not self.keys or (refresh and time.monotonic() - self.fetched_at > KEYS_REFETCH_SECONDS):
            self.fetched_at = time.monotonic()
            async with aiohttp.ClientSession() as session:
                async with session.get(f"{self.issuer}/.well-known/jwks.json") as response:
                    response.raise_for_status()
                    self.keys = (await response.json())["keys"]
        return self.keys

    async def receive(self, request: web.Request) -> web.Response:
        audience = request.match_info["application"]
        token = (await request.post()).get("assertion")
        if not isinstance(token, str) or not token:
            return _page(400, "No assertion received.")
        try:
            try:
                claims = verify_assertion(token, await self._keys(False), audience, self.issuer, self.seen)
            except Refused as refused:
                if "unknown signing key" not in str(refused):
                    raise
                claims = verify_assertion(token, await self._keys(True), audience, self.issuer, self.seen)
        except Refused as refused:
            return _page(401, f"Refused: {refused}.")
        number = claims.get("gln") or claims.get("rpps") or ""
        return _page(
            200,
            f"Welcome, Dr {claims.get('given_name', '')} {claims.get('family_name', '')} ({number}), to {audience}.",
        )


def _page(status: int, text: str) -> web.Response:
    body = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Partner application (demo)</title></head>"
        f"<body><h1>Partner application (demonstration)</h1><p id='outcome'>{html.escape(text)}</p></body></html>"
    )
    return web.Response(status=status, text=body, content_type="text/html")


def make_app(issuer: str) -> web.Application:
    partner = PartnerApplication(issuer)
    app = web.Application()
    app.router.add_post("/{application:[a-z][a-z0-9-]{1,39}}", partner.receive)
    return app


def main() -> None:
    port = int(os.environ.get("PARTNER_PORT", "8028"))
    web.run_app(
        make_app(os.environ.get("PORTAL_PUBLIC_URL", "http://127.0.0.1:8080")),
        host="127.0.0.1",
        port=port,
        print=None,
        access_log=None,
    )


if __name__ == "__main__":
    main()
