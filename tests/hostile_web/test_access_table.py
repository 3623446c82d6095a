"""The access table of gateway/access.py and the router agree: every route has its audience, no
entry outlives its route, and a route left out stops the gateway from starting."""

from __future__ import annotations

import pytest
from aiohttp import web
from nats.aio.client import Client as NATS

from gateway.access import AUDIENCES, EVERYONE, PUBLIC, RouteWithoutAudience
from gateway.app import make_pages_app
from gateway.routes import routes

from ..gateway_routes import gateway_settings
from .router import page_routes, probes


def test_every_route_has_its_audience_and_every_audience_its_route() -> None:
    routed = {probe.key for probe in probes()}
    assert routed == set(AUDIENCES), f"left out: {routed - set(AUDIENCES)}; no such route: {set(AUDIENCES) - routed}"


def test_a_route_without_an_audience_stops_the_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    async def anything(request: web.Request) -> web.Response:
        return web.Response(text="no one said who may see this")

    monkeypatch.setattr(
        "gateway.app.routes", lambda settings: [*routes(settings), web.post("/admin/forgotten", anything)]
    )
    with pytest.raises(RouteWithoutAudience, match="POST /admin/forgotten"):
        make_pages_app(gateway_settings(), NATS())


def test_head_is_answered_to_whom_get_is() -> None:
    heads = [route for route in page_routes() if route.method == "HEAD"]
    assert heads and all(f"GET {route.resource.canonical}" in AUDIENCES for route in heads if route.resource)


def test_what_needs_no_session_is_only_what_must_be_reached_before_login() -> None:
    """A route made public by mistake would serve its page without a session: the list is short and read here."""
    public = sorted(key for key, audience in AUDIENCES.items() if audience.public)
    # The help page is for everyone: a live session only shows its account there (and the language
    # switch, which marks a physician's choice as theirs).
    assert sorted(key for key, audience in AUDIENCES.items() if audience.public and audience != PUBLIC) == [
        "GET /help",
        "GET /lang/{locale}",
        "GET /legal",
        "GET /privacy",
        "POST /help/contact",
    ]
    assert all(AUDIENCES[key] == EVERYONE for key in ("GET /help", "POST /help/contact", "GET /legal", "GET /privacy"))
    assert public == [
        "GET /.well-known/audit-checkpoint-key.pem",  # the hospital verifies the audit's checkpoints with it
        "GET /.well-known/jwks.json",
        "GET /dev/outbox",
        "GET /healthz",
        "GET /help",
        "GET /lang/{locale}",
        "GET /legal",
        "GET /login",
        "GET /login/code",
        "GET /login/forgot",
        "GET /login/forgot/sent",
        "GET /login/hin/callback",
        "GET /login/recover",
        "GET /login/recover/code",
        "GET /login/unlock",
        "GET /login/unlock/code",
        "GET /privacy",
        "GET /register",
        "GET /register/sent",
        "GET /static",
        "POST /help/contact",
        "POST /login",
        "POST /login/code",
        "POST /login/code/resend",  # a new SMS code for the attempt in the browser's cookie, within the limit
        "POST /login/forgot",
        "POST /login/hin",
        "POST /login/recover",
        "POST /login/recover/code",
        "POST /login/unlock",
        "POST /login/unlock/code",
        "POST /logout",
        "POST /register",
    ]
