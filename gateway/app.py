"""Building the web application: a root holding what every answer shares, and two sub-applications,
the pages and the machine API, each with its own middlewares.

aiohttp runs a root's middlewares and response hooks for its sub-applications' requests too, so
the root holds only what the API may inherit: the measure of each request and the transport
headers. The pages are a sub-application of their own so that their session cookie, CSRF, HTML
error pages and headers never touch `/api/`.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.web_urldispatcher import AbstractRuleMatching, MatchedSubAppResource
from nats.aio.client import Client as NATS

from common.metrics import Readiness
from common.outages import Outages

from .access import AUDIENCE_KEY, route_audiences
from .api.app import API_PREFIX, make_api_app
from .config import GatewaySettings
from .csrf import csrf_check, csrf_cookie, csrf_input
from .i18n import setup_templates
from .live import delivery_feed, end_event_streams
from .middlewares import error_pages, measured, page_headers, transport_headers
from .routes import routes
from .session_ends import ended_sessions
from .sessions import remembered_sessions, sessions
from .state import BUS_KEY, OUTAGES_KEY, READINESS_KEY, SETTINGS_KEY

if TYPE_CHECKING:
    from aiohttp.web_urldispatcher import _InfoDict


class Outside(AbstractRuleMatching):
    """Every path but those under one prefix: where the pages are, the API's prefix aside."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix.rstrip("/")

    async def match(self, request: web.Request) -> bool:
        # The path as the router resolves it, so that the prefixed sub-application and this rule
        # share every path between them exactly.
        path = request.rel_url.path_safe
        return not (path == self._prefix or path.startswith(self._prefix + "/"))

    def get_info(self) -> _InfoDict:
        return {"prefix": self._prefix}

    @property
    def canonical(self) -> str:
        return "/"


def make_app(settings: GatewaySettings, nc: NATS, readiness: Readiness, outages: Outages) -> web.Application:
    """The gateway's application, asking the services through `nc`; `readiness` as `/readyz` says;
    what it finds away goes to `outages`."""
    root = web.Application(middlewares=[measured])  # every request is measured, the API's too
    root[SETTINGS_KEY] = settings
    root[BUS_KEY] = nc
    root[READINESS_KEY] = readiness
    root[OUTAGES_KEY] = outages
    # Just before the headers go out, so that streamed responses (contents, events) get them too.
    root.on_response_prepare.append(transport_headers)
    root.add_subapp(API_PREFIX, make_api_app())
    # `add_subapp` mounts by prefix and refuses `/`; `add_domain` mounts by a rule, on the host.
    # The pages are mounted as `add_domain` mounts, with a rule on the path. `_add_subapp` is
    # aiohttp's own (private) step behind both: it forwards the start-up and clean-up signals.
    # Were aiohttp to change it, the gateway would fail at start-up, not serve pages unprotected.
    pages = make_pages_app(settings, nc)
    root._add_subapp(partial(MatchedSubAppResource, Outside(API_PREFIX), pages), pages)
    return root


def make_pages_app(settings: GatewaySettings, nc: NATS) -> web.Application:
    """The web pages: session cookie, CSRF, HTML errors, the pages' headers."""
    pages = web.Application(
        # Outermost first. The CSRF cookie wraps the error pages, which show the logout form;
        # errors wrap the checks, which refuse by raising.
        middlewares=[csrf_cookie, error_pages, csrf_check, sessions],
    )
    pages.on_response_prepare.append(page_headers)
    pages.cleanup_ctx.append(remembered_sessions(nc))
    pages.cleanup_ctx.append(delivery_feed(nc))
    pages.cleanup_ctx.append(ended_sessions(nc))  # forgets in the two above
    pages.on_shutdown.append(end_event_streams)
    setup_templates(pages, {"csrf_input": csrf_input})
    pages.add_routes(routes(settings))
    # Every route has its audience, or the gateway does not start (RouteWithoutAudience).
    pages[AUDIENCE_KEY] = route_audiences(pages.router.routes())
    return pages
