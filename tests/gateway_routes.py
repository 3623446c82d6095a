"""The gateway's routes as its own router holds them: what the hostile suite enumerates, so that a
new route is covered with no test written for it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from aiohttp import web
from nats.aio.client import Client as NATS

from common.outages import Outages
from common.settings import BusSettings
from gateway.app import make_app
from gateway.config import GatewaySettings

_PARAMETER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    """aiohttp's canonical form: `/documents/{id}/view`, the parameters without their patterns."""

    @property
    def parameters(self) -> frozenset[str]:
        return frozenset(_PARAMETER.findall(self.path))

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def gateway_settings(environment: str = "dev") -> GatewaySettings:
    """Settings that build the gateway without starting it; `dev` has every route (the dev outbox too)."""
    return GatewaySettings(
        bus=BusSettings(url="nats://127.0.0.1:4222", user="gateway", password="x"),
        http_host="127.0.0.1",
        http_port=8080,
        public_url="http://127.0.0.1:8080",
        csrf_secret="s" * 32,
        environment=environment,
        dev_outbox_dir=None,
        log_level="INFO",
    )


def gateway_routes() -> list[Route]:
    """Every route of the gateway's application, the pages' and the API's, HEAD aside (aiohttp adds
    it to a GET, which answers it). Built with a client that never connects: nothing is served."""
    app = make_app(gateway_settings(), NATS(), lambda: (True, {}), Outages())
    return sorted({route for route in _routes(app.router) if route.method != "HEAD"}, key=str)


def _routes(router: web.UrlDispatcher) -> Iterator[Route]:
    for resource in router.resources():
        mounted = resource.get_info().get("app")  # a sub-application: its own router
        if isinstance(mounted, web.Application):
            yield from _routes(mounted.router)
            continue
        for route in resource:
            yield Route(route.method, resource.canonical)
