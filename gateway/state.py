"""Typed keys for what the application holds for all requests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from aiohttp import web
from nats.aio.client import Client as NATS

from .config import GatewaySettings

SETTINGS_KEY = web.AppKey("settings", GatewaySettings)
BUS_KEY = web.AppKey("bus", NATS)

CleanupContext = Callable[[web.Application], AsyncIterator[None]]
"""What `app.cleanup_ctx` takes: set up before the first request, torn down after the last."""


def settings_of(request: web.Request) -> GatewaySettings:
    """The gateway's settings, from any request."""
    return request.config_dict[SETTINGS_KEY]


def bus_of(request: web.Request) -> NATS:
    """The NATS connection the services are asked through."""
    return request.config_dict[BUS_KEY]
