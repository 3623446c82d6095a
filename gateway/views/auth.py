"""Login in two steps (password, then the SMS code) and logout, all through identity.

Nothing here logs: the login name, password, code, challenge and session are secrets or
identify someone.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import unquote

import pyotp
import segno
from aiohttp import web
from markupsafe import Markup
from pydantic import BaseModel, ValidationError

from common.bus import call
from common.contracts.base import CLIENT_IP_MAX_LENGTH, Endpoint
from common.contracts.identity import (
    DEVICE_TOKEN_MAX_LENGTH,
    END_SESSION,
    LOG_IN_WITH_CODE,
    LOG_IN_WITH_PASSWORD,
    LOGIN_CODE_SENT,
    RESEND_LOGIN_CODE,
    CodeChallenge,
    CodeLogin,
    LoginAttempt,
    PasswordLogin,
    SessionOpened,
    SessionRef,
)
from common.errors import TooManyRequests, Unauthenticated

from .. import csrf, flash
from ..asked_page import ENDED, ENDED_REASONS, asked_page, keep_asked_page, take_asked_page
from ..asked_page import FIELD as ASKED
from ..cookies import (
    ASKED_PAGE,
    DEVICE,
    DEVICE_MAX_AGE,
    LOGIN_CHALLENGE,
    delete_private_cookie,
    private_cookie,
    session_cookie_name,
    set_private_cookie,
)
from ..forms import field
from ..locale_formats import DISPLAY_TIMEZONE
from ..middlewares import csp_with_form_action
from ..pages import render_page, see_other
from ..sessions import forget, session_cookie
from ..state import bus_of, settings_of
from ..user_agents import seen_from

LANDING_PAGE = "/"  # each role's own landing page (views.documents.home)
PASSWORD_FORM = "login.html"
CODE_FORM = "login_code.html"
ENROLMENT_PAGE = "login_enrolment.html"

Attempt = TypeVar("Attempt", bound=BaseModel)
Answer = TypeVar("Answer", bound=BaseModel)


async def login_form(request: web.Request) -> web.Response:
    """GET /login?next=: the login name and password form (and HIN login, where it is offered),
    leading to the page asked for, if any, once logged in."""
    return _login_page(request, None, request.query.get(ASKED, ""))


def _login_page(request: web.Request, refusal: int | None, asked: str) -> web.Response:
    context = {**_form_context(request, refusal), "next": asked_page(asked)}
    response = render_page(request, PASSWORD_FORM, context, status=refusal or 200)
    origin = settings_of(request).hin_origin
    if origin:  # the HIN button's form leads there (browsers check a form's redirects too)
        response.headers["Content-Security-Policy"] = csp_with_form_action(origin)
    return response


def _form_context(request: web.Request, refusal: int | None) -> dict[str, object]:
    settings = settings_of(request)
    return {
        "refusal": refusal,
        "unlocked": request.query.get("unlocked") == "1",
        "recovered": request.query.get("recovered") == "1",
        "ended": request.query.get(ENDED) if request.query.get(ENDED) in ENDED_REASONS else None,
        "idle_minutes": settings.session_idle_seconds // 60,
        "from_app": request.query.get("from") == "app",
        "hin_login": settings.hin_login,
        "hin_test_provider": settings.hin_test_provider,
    }


async def login(request: web.Request) -> web.Response:
    """POST /login: check the password; on success identity sends the SMS code (physicians) or
    asks for the authenticator app's (staff; at their first login, the app is enrolled here)."""
    form = await request.post()
    asked = field(form, ASKED)
    challenge = await login_step(
        request,
        LOG_IN_WITH_PASSWORD,
        lambda: PasswordLogin(
            login=field(form, "login"),
            password=field(form, "password"),
            client_ip=client_ip(request),
            device=device_token(request),
        ),
        lambda status: _login_page(request, status, asked),
    )
    if isinstance(challenge, web.Response):
        return challenge
    if challenge.method == "app_enrolment" and challenge.enrolment_uri:
        response = render_page(request, ENROLMENT_PAGE, _enrolment(challenge.enrolment_uri))
    else:
        response = see_other("/login/code" + ("?from=app" if challenge.method == "app" else ""))
    keep_challenge(request, response, LOGIN_CHALLENGE, challenge)
    keep_asked_page(request, response, asked, seconds_until(challenge.expires_at))
    return response


async def code_form(request: web.Request) -> web.Response:
    """GET /login/code: the form for the code sent by SMS (only during a login attempt), with the
    number it went to (masked), how long it is valid, and "Renvoyer le code" within the limit."""
    from_app = request.query.get("from") == "app"
    context = {"refusal": None, "from_app": from_app, "resent": request.query.get("resent") == "1"}
    return waiting_code_form(request, LOGIN_CHALLENGE, "/login", CODE_FORM, {**context, **await _sent(request)})


async def _sent(request: web.Request) -> dict[str, object]:
    """What the code's page says of the SMS: {"sent": ...}, None if no attempt waits for one."""
    challenge = private_cookie(request, LOGIN_CHALLENGE)
    if not challenge or request.query.get("from") == "app":
        return {"sent": None}
    try:
        sent = await call(bus_of(request), LOGIN_CODE_SENT, LoginAttempt(challenge=challenge))
    except (Unauthenticated, ValidationError):
        return {"sent": None}
    resend_at = sent.resend_at.astimezone(DISPLAY_TIMEZONE).strftime("%H:%M") if sent.resend_at else None
    minutes = settings_of(request).sms_code_ttl_seconds // 60
    return {"sent": {"mobile": sent.mobile_hint, "minutes": minutes, "resend_at": resend_at}}


async def resend_code(request: web.Request) -> web.Response:
    """POST /login/code/resend: a new SMS code for the attempt, within the limit (past it, the
    code's page says when); the new attempt's cookie replaces the old."""
    challenge = private_cookie(request, LOGIN_CHALLENGE)
    try:
        issued = await call(
            bus_of(request), RESEND_LOGIN_CODE, LoginAttempt(challenge=challenge, client_ip=client_ip(request))
        )
    except (Unauthenticated, ValidationError):
        return see_other("/login")
    except TooManyRequests:
        return see_other("/login/code")
    response = see_other("/login/code?resent=1")
    keep_challenge(request, response, LOGIN_CHALLENGE, issued)
    keep_asked_page(request, response, unquote(private_cookie(request, ASKED_PAGE)), seconds_until(issued.expires_at))
    return response


def waiting_code_form(
    request: web.Request, cookie: str, start: str, template: str, context: dict[str, object]
) -> web.Response:
    """A code's form while the attempt in `cookie` waits for it; without one, back to `start`."""
    if not private_cookie(request, cookie):
        return see_other(start)
    return render_page(request, template, context)


async def code(request: web.Request) -> web.Response:
    """POST /login/code: check the code; on success open the session."""
    form = await request.post()
    challenge = private_cookie(request, LOGIN_CHALLENGE)
    entered = "".join(field(form, "code").split())  # people type "123 456"
    sent = await _sent(request)  # said again if the code is refused (before the code closes the attempt)
    seen = await seen_from(request)
    opened = await login_step(
        request,
        LOG_IN_WITH_CODE,
        lambda: CodeLogin(
            challenge=challenge, code=entered, client_ip=client_ip(request), device=device_token(request), seen=seen
        ),
        lambda status: render_page(
            request, CODE_FORM, {**_form_context(request, status), "resent": False, **sent}, status=status
        ),
    )
    if isinstance(opened, web.Response):
        return opened
    return session_opened(request, opened, LOGIN_CHALLENGE)


def session_opened(request: web.Request, opened: SessionOpened, attempt_cookie: str) -> web.Response:
    """A login succeeded: the new session's cookie, the attempt's cookie forgotten, a new CSRF
    token, and the way to the page asked for before the login, else the account's landing page."""
    settings = settings_of(request)
    response = see_other(LANDING_PAGE)
    response.headers["Location"] = take_asked_page(request, response) or LANDING_PAGE
    # No max-age: the cookie ends with the browser; identity enforces the idle timeout.
    set_private_cookie(response, settings, session_cookie_name(settings), opened.session)
    if opened.device:  # this browser's attempts on this name are its own from now on
        set_private_cookie(response, settings, DEVICE, opened.device, max_age=DEVICE_MAX_AGE)
    delete_private_cookie(response, settings, attempt_cookie)
    if opened.previous_login_at is not None:  # said once, on the first page
        flash.leave(request, response, flash.last_login(opened.previous_login_at))
    csrf.rotate(request, response)
    return response


async def logout(request: web.Request) -> web.Response:
    """POST /logout: end the session at identity, forget the cookie, back to the login form."""
    handle = session_cookie(request)
    if handle is not None:
        forget(request)
        try:
            await call(bus_of(request), END_SESSION, SessionRef(session=handle))
        except Unauthenticated:
            pass  # already ended or expired: the outcome the user asked for
    settings = settings_of(request)
    response = see_other("/login")
    delete_private_cookie(response, settings, session_cookie_name(settings))
    return response


async def login_step(
    request: web.Request,
    step: Endpoint[Attempt, Answer],
    attempt: Callable[[], Attempt],
    refused: Callable[[int], web.Response],
) -> Answer | web.Response:
    """Ask identity; a refusal shows the form again (`refused(status)`) with one message, the same
    for every cause, entries beyond the bounds identity accepts (the attempt's own validation) among them."""
    try:
        asked = attempt()
    except ValidationError:
        return refused(401)
    try:
        return await call(bus_of(request), step, asked)
    except Unauthenticated:
        return refused(401)
    except TooManyRequests:
        return refused(429)


def device_token(request: web.Request) -> str:
    """The device token this browser holds from an earlier login ("" if none, or not one of ours)."""
    value = private_cookie(request, DEVICE)
    return value if len(value) <= DEVICE_TOKEN_MAX_LENGTH else ""


def _enrolment(uri: str) -> dict[str, object]:
    """The QR code of the app's otpauth URI (drawn here: the secret goes to no other server), and
    the secret itself for apps that take it typed."""
    return {
        "qr_code": Markup(segno.make(uri, error="m").svg_inline(scale=5, title=None)),
        "secret": " ".join(textwrap.wrap(pyotp.parse_uri(uri).secret, 4)),
    }


def client_ip(request: web.Request) -> str:
    """The browser's address: the peer's, or, when the peer is one of our reverse proxies, the
    right-most address of X-Forwarded-For that is not one of them (what our proxy saw; the
    left-most entries are whatever the client chose to send). Behind a proxy every browser would
    otherwise share the proxy's address, and its failed logins. "" when one of our proxies names
    no browser (our own health checks): no address's limits apply to it. Any other peer is a
    browser, loopback included."""
    peer, trusted = request.remote or "", settings_of(request).trusted_proxies
    if peer not in trusted:
        return peer[:CLIENT_IP_MAX_LENGTH]
    forwarded = [part.strip() for part in ",".join(request.headers.getall("X-Forwarded-For", [])).split(",")]
    browsers = [address for address in forwarded if address and address not in trusted]
    return browsers[-1][:CLIENT_IP_MAX_LENGTH] if browsers else ""


def keep_challenge(request: web.Request, response: web.StreamResponse, cookie: str, challenge: CodeChallenge) -> None:
    """The attempt waiting for its code, in a cookie that lasts as long as the attempt."""
    set_private_cookie(
        response, settings_of(request), cookie, challenge.challenge, max_age=seconds_until(challenge.expires_at)
    )


def seconds_until(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0, int((moment - datetime.now(UTC)).total_seconds()))
