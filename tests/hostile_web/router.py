"""The pages' routes as the gateway's own router has them, each with a path to ask and its audience
from gateway/access.py: the hostile web suite is generated from these, so a new route is covered
with no test written for it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from unittest import mock

from aiohttp.web_urldispatcher import AbstractRoute, DynamicResource, StaticResource
from nats.aio.client import Client as NATS

from deploy.stack import Stack
from gateway.access import AUDIENCES, Audience, route_key
from gateway.app import make_pages_app
from gateway.config import GatewaySettings

from ..gateway_routes import gateway_settings

SAMPLE_ID = "00000000-0000-4000-8000-000000000000"
"""Fits every id pattern of the routes (UUIDs and opaque ids); no object has it."""

SAMPLE_VALUES = {
    "id": SAMPLE_ID,
    "account": SAMPLE_ID,
    "locale": "en",
    "kind": "consultation",
    "step": "take",
    "file": SAMPLE_ID,
}
"""A value for each variable part of the routes' patterns, by name; a new name needs one here."""

STATIC_FILE = "portal.css"


@dataclass(frozen=True)
class Probe:
    """One route of the pages: its method, its entry in the access table, a path it answers."""

    method: str
    key: str  # "POST /admin/accounts/{id}/deactivate"
    path: str
    audience: Audience

    def __str__(self) -> str:
        return f"{self.method} {self.key.split(' ', 1)[1]}"


def stack_gateway_settings(stack: Stack) -> GatewaySettings:
    """The settings the stack's gateway process reads from its environment."""
    with mock.patch.dict(os.environ, stack.environment("gateway")):
        return GatewaySettings.from_env()


@cache
def page_routes() -> tuple[AbstractRoute, ...]:
    """Every route of the pages sub-application, HEAD ones included, as `make_app` mounts them."""
    return tuple(make_pages_app(gateway_settings(), NATS()).router.routes())


def sample_path(route: AbstractRoute) -> str:
    """A path the route answers: its pattern with a sample value for each variable part."""
    resource = route.resource
    assert resource is not None
    if isinstance(resource, StaticResource):
        return str(resource.url_for(filename=STATIC_FILE))
    if isinstance(resource, DynamicResource):
        names = resource.get_info()["pattern"].groupindex
        missing = set(names) - set(SAMPLE_VALUES)
        assert not missing, f"{resource.canonical}: add a sample value for {missing} in tests/hostile_web/router.py"
        return str(resource.url_for(**{name: SAMPLE_VALUES[name] for name in names}))
    return resource.canonical


def probes() -> list[Probe]:
    """A probe per route of the router; a route with no audience fails here (and the app would not start)."""
    found = []
    for route in page_routes():
        key = route_key(route)
        assert key in AUDIENCES, f"{key} has no entry in gateway/access.py AUDIENCES"
        found.append(Probe(route.method, key, sample_path(route), AUDIENCES[key]))
    return found
