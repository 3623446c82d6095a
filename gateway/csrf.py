"""Signed double-submit CSRF protection for every POST form, the pre-login ones included.

The browser holds a random value in the `portal_csrf` cookie (HttpOnly: no script needs it);
each form carries HMAC-SHA256(PORTAL_CSRF_SECRET, that value and the browser's session cookie).
Another site can make the browser send the cookie, but cannot read it nor compute the matching
form field. Bound to the session, a token is worth nothing to another session: an attacker who
planted their own CSRF value in a victim's browser (a sibling domain can, without `__Host-`)
still has no token for the victim's session.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

import jinja2
from aiohttp import web
from aiohttp.typedefs import Handler
from markupsafe import Markup
from yarl import URL

from . import cookies
from .state import settings_of

FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_COOKIE_VALUE = re.compile(r"[A-Za-z0-9_-]{43}")  # what secrets.token_urlsafe(32) makes

CSRF_KEY = web.RequestKey("csrf_cookie_value", str)
_FRESH_KEY = web.RequestKey("csrf_cookie_is_fresh", bool)


class FormRefused(Exception):
    """A state-changing request without a valid CSRF proof, or from another origin."""


def form_token(request: web.Request) -> str:
    """The value a form must send back in `csrf_token` for the browser's current cookie."""
    return _sign(request, request[CSRF_KEY])


@jinja2.pass_context
def csrf_input(context: jinja2.runtime.Context) -> Markup:
    """Render the hidden form field; templates call `{{ csrf_input() }}` inside every POST form."""
    return Markup('<input type="hidden" name="%s" value="%s">') % (FIELD, context["csrf_token"])


def rotate(request: web.Request, response: web.StreamResponse) -> None:
    """Give the browser a new CSRF value, so one seen before login is useless after it."""
    _set_value(request, response, secrets.token_urlsafe(32))


def _set_value(request: web.Request, response: web.StreamResponse, value: str) -> None:
    cookies.set_private_cookie(response, settings_of(request), cookies.CSRF, value)


@web.middleware
async def csrf_cookie(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Make sure the browser holds a CSRF value before it is shown any form.

    It wraps the error pages too, because they show the logout form.
    """
    value = cookies.private_cookie(request, cookies.CSRF)
    fresh = not _COOKIE_VALUE.fullmatch(value)
    request[CSRF_KEY] = secrets.token_urlsafe(32) if fresh else value
    request[_FRESH_KEY] = fresh
    response = await handler(request)
    # Only HTML pages may hold forms; assets, PDFs and JSON need no cookie.
    if fresh and response.content_type == "text/html" and not response.prepared:
        _set_value(request, response, request[CSRF_KEY])
    return response


@web.middleware
async def csrf_check(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a state-changing request from another origin or without the signed form token."""
    if request.method in UNSAFE_METHODS:
        await _check(request)
    return await handler(request)


async def _check(request: web.Request) -> None:
    origin = request.headers.get("Origin")
    if origin is not None and _origin(origin) != settings_of(request).public_origin:
        raise FormRefused()
    # A value we just made up cannot have been signed into a form the browser saw.
    if request[_FRESH_KEY]:
        raise FormRefused()
    sent: object
    if request.content_type == "multipart/form-data":
        # An upload: its body is streamed by the view, never read whole here; the form sends
        # the token in its action's query string instead (the access log leaves queries out).
        sent = request.query.get(FIELD)
    else:
        sent = (await request.post()).get(FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), form_token(request).encode()):
        raise FormRefused()


def _origin(header: str) -> str:
    try:
        return str(URL(header).origin())
    except ValueError:
        return ""  # "null" or garbage: never our origin


def _sign(request: web.Request, value: str) -> str:
    secret = settings_of(request).csrf_secret.encode()
    session = cookies.private_cookie(request, cookies.SESSION)  # "" before login
    return hmac.new(secret, f"{value}|{session}".encode(), hashlib.sha256).hexdigest()
