"""The measure and the transport headers of every answer; the pages' own headers, and the one place
where their errors become HTML answers."""

from __future__ import annotations

import time

from aiohttp import web
from aiohttp.typedefs import Handler

from common import metrics
from common.contracts.identity import SESSION_CLOSED, SESSION_IDLE
from common.errors import DomainError, Unauthenticated
from common.outages import SERVICE

from .access import RoleRefused
from .asked_page import login_url
from .cookies import SESSION, delete_private_cookie
from .csrf import FormRefused
from .http_errors import log_unexpected, status_of
from .pages import render_page, see_other
from .sessions import SESSION_KEY
from .state import OUTAGES_KEY, settings_of

PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)


def csp_with_form_action(origin: str) -> str:
    """The pages' CSP for a page whose form leads to `origin` too (browsers also check the
    redirects after a form)."""
    return PAGE_CSP.replace("form-action 'self'", f"form-action 'self' {origin}")


PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
HSTS = "max-age=31536000"

STREAMS = frozenset({"/events"})
"""Routes that stay open for minutes: their time is not a latency."""


@web.middleware
async def measured(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Each request's time per route (its pattern, never the path: ids stay out of the metrics)."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        if route not in STREAMS:
            metrics.HTTP_SECONDS.labels(route, request.method).observe(time.perf_counter() - started)
        metrics.HTTP_RESPONSES.labels(str(status)).inc()


async def transport_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare of the root: what protects any answer, a page's or the API's."""
    headers = response.headers
    headers["Server"] = "portal"  # not aiohttp's default, which names the versions to look up
    headers["X-Content-Type-Options"] = "nosniff"
    headers.setdefault("X-Frame-Options", "DENY")  # a document's content may be framed by its page
    # same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on our own forms.
    headers["Referrer-Policy"] = "same-origin"
    if settings_of(request).https:
        headers["Strict-Transport-Security"] = HSTS


async def page_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare of the pages: the browser protections of every page, streamed ones included.

    A view may set its own CSP first.
    """
    headers = response.headers
    headers.setdefault("Content-Security-Policy", PAGE_CSP)
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    # Pages show patient data and one-time form tokens: no cache may keep them. Assets may be
    # cached, and the public keys (their view says for how long).
    if not request.path.startswith(("/static/", "/.well-known/")):
        headers["Cache-Control"] = "no-store"


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Translate each error into its HTTP answer, once; nothing below this raises to the client.

    A page the services could not answer starts an outage of them (logged once); the next page
    of a session they answer ends it (a static file or the login form asks no service)."""
    try:
        response = await handler(request)
        if SESSION_KEY in request:
            request.config_dict[OUTAGES_KEY].working(SERVICE)
        return response
    except Unauthenticated as refusal:
        return _back_to_login(request, refusal)
    except FormRefused:
        return render_page(request, "error.html", {"status": 403, "reason": "csrf"}, status=403)
    except RoleRefused:
        return render_page(request, "error.html", {"status": 403, "reason": "role"}, status=403)
    except DomainError as error:
        status = status_of(error)
        if status == 503:
            request.config_dict[OUTAGES_KEY].failing(SERVICE, error.description)  # logged once for the whole outage
        return render_page(request, "error.html", {"status": status, "reason": ""}, status=status)
    except web.HTTPException as exc:
        if exc.status < 400:
            return _plain(exc)
        page = render_page(request, "error.html", {"status": exc.status, "reason": ""}, status=exc.status)
        if "Allow" in exc.headers:
            page.headers["Allow"] = exc.headers["Allow"]
        return page
    except Exception as exc:
        log_unexpected(request, exc)
        return render_page(request, "error.html", {"status": 500, "reason": ""}, status=500)


def _back_to_login(request: web.Request, refusal: Unauthenticated) -> web.Response:
    """A dead or missing session: a page load goes to the login form (which says why a session
    ended, and leads back to the page once logged in), anything else gets a 401."""
    if request.method in ("GET", "HEAD"):
        ended = {SESSION_IDLE: "idle", SESSION_CLOSED: "closed"}.get(refusal.description, "")
        response = see_other(login_url(request, ended))
    else:
        response = render_page(request, "error.html", {"status": 401, "reason": ""}, status=401)
    delete_private_cookie(response, settings_of(request), SESSION)
    return response


def _plain(exc: web.HTTPException) -> web.Response:
    """A raised redirect (aiohttp's own, e.g. for a missing trailing slash) as a returned response."""
    return web.Response(status=exc.status, headers={"Location": exc.headers.get("Location", "/")})
