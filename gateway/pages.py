"""Rendering a page: the request's language, and what every page's layout shows."""
from __future__ import annotations

from typing import Any, Mapping

import aiohttp_jinja2
from aiohttp import web

from .csrf import form_token
from .i18n import TEMPLATES_KEYS, request_locale
from .sessions import SESSION_KEY
from .state import settings_of


def render_page(
    request: web.Request, template: str, context: Mapping[str, Any] | None = None, status: int = 200
) -> web.Response:
    """Render `template` in the browser's locale, with the layout's common values."""
    locale = request_locale(request)
    session = request.get(SESSION_KEY)
    layout = {
        "locale": locale,
        "account": session.account if session else None,
        "csrf_token": form_token(request),
        "current_path": request.path_qs,
        "dev_outbox": settings_of(request).dev_outbox_enabled,
    }
    return aiohttp_jinja2.render_template(
        template, request, {**layout, **(context or {})}, app_key=TEMPLATES_KEYS[locale], status=status
    )


def see_other(location: str) -> web.Response:
    """A 303 redirect, returned (not raised) so the outer middlewares still add their headers."""
    return web.Response(status=303, headers={"Location": location})
