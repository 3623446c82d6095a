"""Typed keys for what the root application holds for all requests, the pages' and the API's."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from aiohttp import web
from nats.aio.client import Client as NATS

from common.metrics import Readiness
from common.outages import Outages

from .config import GatewaySettings

SETTINGS_KEY = web.AppKey("settings", GatewaySettings)
BUS_KEY = web.AppKey("bus", NATS)
READINESS_KEY = web.AppKey[Readiness]("readiness")
OUTAGES_KEY = web.AppKey("outages", Outages)
"""This process's outages: the services' (SERVICE) begin and end with the pages they fail and answer."""

CleanupContext = Callable[[web.Application], AsyncIterator[None]]
"""What `app.cleanup_ctx` takes: set up before the first request, torn down after the last."""


def settings_of(request: web.Request) -> GatewaySettings:
    """The gateway's settings, from any request."""
    return request.config_dict[SETTINGS_KEY]


def bus_of(request: web.Request) -> NATS:
    """The NATS connection the services are asked through."""
    return request.config_dict[BUS_KEY]


def readiness_of(request: web.Request) -> Readiness:
    """Whether the gateway can serve now: the same answer as `/readyz` on the metrics port."""
    return request.config_dict[READINESS_KEY]
