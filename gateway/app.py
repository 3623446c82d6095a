"""Building the web application from its parts."""

from __future__ import annotations

from aiohttp import web
from nats.aio.client import Client as NATS

from .config import GatewaySettings
from .csrf import csrf_check, csrf_cookie, csrf_input
from .i18n import setup_templates
from .live import delivery_feed, end_event_streams
from .middlewares import error_pages, measured, page_headers, transport_headers
from .routes import routes
from .sessions import remembered_sessions, sessions
from .state import BUS_KEY, SETTINGS_KEY


def make_app(settings: GatewaySettings, nc: NATS) -> web.Application:
    """The gateway's application, asking the services through `nc`."""
    app = web.Application(
        # Outermost first. Every request is measured; the CSRF cookie wraps the error pages,
        # which show the logout form; errors wrap the checks, which refuse by raising.
        middlewares=[measured, csrf_cookie, error_pages, csrf_check, sessions],
    )
    app[SETTINGS_KEY] = settings
    app[BUS_KEY] = nc
    # Just before the headers go out, so that streamed responses (contents, events) get them too.
    app.on_response_prepare.append(transport_headers)
    app.on_response_prepare.append(page_headers)
    app.cleanup_ctx.append(remembered_sessions(nc))
    app.cleanup_ctx.append(delivery_feed(nc))
    app.on_shutdown.append(end_event_streams)
    setup_templates(app, {"csrf_input": csrf_input})
    app.add_routes(routes(settings))
    return app
