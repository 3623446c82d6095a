"""HIN login (F5.1) as the browser sees it: a button, a trip to HIN, the return.

Identity owns the OAuth exchange (state, PKCE, client secret, code); the gateway only binds the
attempt to this browser with a secret in a short-lived cookie, and shows why a login was refused.
Nothing here logs: the state, code and cookie are secrets.
"""

from __future__ import annotations

import secrets

from aiohttp import web

from common.bus import call
from common.contracts.identity import BEGIN_HIN_LOGIN, FINISH_HIN_LOGIN, HinBegin, HinReturn, account_language
from common.errors import TooManyRequests

from ..asked_page import FIELD as ASKED
from ..asked_page import keep_asked_page
from ..cookies import HIN_ATTEMPT, delete_private_cookie, private_cookie, set_private_cookie
from ..forms import field
from ..i18n import request_locale
from ..pages import render_page, see_other
from ..state import bus_of, settings_of
from ..user_agents import seen_from
from .auth import client_ip, seconds_until, session_opened

REFUSED_PAGE = "hin_refused.html"
_BROWSER_MAX, _STATE_MAX, _CODE_MAX, _ERROR_MAX = 128, 256, 2048, 200
FINISH_TIMEOUT_SECONDS = 20  # identity gives HIN 12 s at most, then answers

# Why a HIN login opened no session -> the page's status (the page explains each in words).
REFUSAL_STATUS = {"practice_identity": 403, "deactivated": 403, "mismatch": 409, "failed": 400, "cancelled": 400}


def _offered(request: web.Request) -> None:
    if not settings_of(request).hin_login:
        raise web.HTTPNotFound()


async def start(request: web.Request) -> web.Response:
    """POST /login/hin: a new attempt, bound to this browser; off to HIN's login page (the page
    asked for before the login, if any, waits for the way back)."""
    _offered(request)
    browser = secrets.token_urlsafe(32)
    try:
        redirect = await call(bus_of(request), BEGIN_HIN_LOGIN, HinBegin(browser=browser, client_ip=client_ip(request)))
    except TooManyRequests:
        return render_page(request, REFUSED_PAGE, {"refusal": "too_many"}, status=429)
    response = see_other(redirect.url)
    settings = settings_of(request)
    set_private_cookie(response, settings, HIN_ATTEMPT, browser, max_age=seconds_until(redirect.expires_at))
    form = await request.post()
    keep_asked_page(request, response, field(form, ASKED), seconds_until(redirect.expires_at))
    return response


async def callback(request: web.Request) -> web.Response:
    """GET /login/hin/callback: HIN's answer; a session, or a page saying why not."""
    _offered(request)
    browser = private_cookie(request, HIN_ATTEMPT)
    state, code, error = (request.query.get(name, "") for name in ("state", "code", "error"))
    if not 0 < len(browser) <= _BROWSER_MAX or not 0 < len(state) <= _STATE_MAX or len(code) > _CODE_MAX:
        return refused(request, "failed")
    answer = HinReturn(
        browser=browser,
        state=state,
        code=code,
        error=error[:_ERROR_MAX],
        client_ip=client_ip(request),
        locale=account_language(request_locale(request)),
        seen=await seen_from(request),
    )
    outcome = await call(bus_of(request), FINISH_HIN_LOGIN, answer, timeout=FINISH_TIMEOUT_SECONDS)
    if outcome.session is not None:
        return session_opened(request, outcome.session, HIN_ATTEMPT)
    return refused(request, outcome.refusal or "failed")


def refused(request: web.Request, refusal: str) -> web.Response:
    response = render_page(request, REFUSED_PAGE, {"refusal": refusal}, status=REFUSAL_STATUS[refusal])
    delete_private_cookie(response, settings_of(request), HIN_ATTEMPT)
    return response
