"""A forgotten password (F5.6): a login name or an email address, then the link that arrives by
email, a new password, and the code sent by SMS to the registered mobile.

The first page says the same whatever was typed: identity decides what goes to the account's own
email address. The link's token comes in the query string once (the access log leaves queries
out), is kept in a cookie that lasts as long as the link, and the address bar is cleaned at once.
Nothing here logs: the name, the token, the password and the code identify someone or are secrets.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import ValidationError

from common.bus import call
from common.contracts.identity import PASSWORD_MAX_LENGTH
from common.contracts.recovery import (
    ASK_RECOVERY,
    CHECK_RECOVERY_LINK,
    FINISH_RECOVERY,
    LINK_DEAD,
    LINK_MINUTES,
    START_RECOVERY,
    RecoveryAsk,
    RecoveryFinish,
    RecoveryLink,
    RecoveryStart,
)
from common.errors import InvalidRequest, TooManyRequests, Unauthenticated

from ..cookies import RECOVERY_CHALLENGE, RECOVERY_LINK, delete_private_cookie, private_cookie, set_private_cookie
from ..forms import field
from ..labels import PASSWORD_REFUSALS
from ..pages import render_page, see_other
from ..state import bus_of, settings_of
from .auth import client_ip, keep_challenge, waiting_code_form

ASK_FORM = "login_forgot.html"
ASKED = "login_forgot_sent.html"
PASSWORD_FORM = "login_recover.html"
CODE_FORM = "login_recover_code.html"
_NAME_MAX = 254
_TOKEN_MAX = 1024


async def forgot_form(request: web.Request) -> web.Response:
    """GET /login/forgot: a login name or an email address."""
    return render_page(request, ASK_FORM, {"problem": None})


async def ask(request: web.Request) -> web.Response:
    """POST /login/forgot: identity emails the account, if there is one; the same next page always."""
    name = field(await request.post(), "name").strip()
    if not 0 < len(name) <= _NAME_MAX:
        return render_page(request, ASK_FORM, {"problem": "missing"}, status=400)
    try:
        await call(bus_of(request), ASK_RECOVERY, RecoveryAsk(name=name, client_ip=client_ip(request)))
    except TooManyRequests:
        return render_page(request, ASK_FORM, {"problem": "too_many"}, status=429)
    return see_other("/login/forgot/sent")


async def forgot_sent(request: web.Request) -> web.Response:
    """GET /login/forgot/sent: what to expect, whatever was typed."""
    return render_page(request, ASKED, {"minutes": LINK_MINUTES})


async def new_password_form(request: web.Request) -> web.Response:
    """GET /login/recover: from the email (?token=…), the token goes into a cookie and the address
    bar is cleaned; then the new password's form, or why the link no longer works."""
    token = request.query.get("token")
    if token is not None:
        response = see_other("/login/recover")
        if 0 < len(token) <= _TOKEN_MAX:
            settings = settings_of(request)
            set_private_cookie(response, settings, RECOVERY_LINK, token, max_age=LINK_MINUTES * 60)
        return response
    try:
        link = RecoveryLink(token=private_cookie(request, RECOVERY_LINK), client_ip=client_ip(request))
        await call(bus_of(request), CHECK_RECOVERY_LINK, link)
    except (ValidationError, Unauthenticated):
        return _dead_link(request)
    return _password_form(request, None)


async def start(request: web.Request) -> web.Response:
    """POST /login/recover: the new password, twice; identity sends the code by SMS."""
    form = await request.post()
    new, again = field(form, "new"), field(form, "again")
    if not 0 < len(new) <= PASSWORD_MAX_LENGTH:
        return _password_form(request, "missing")
    if new != again:
        return _password_form(request, "mismatch")
    try:
        wanted = RecoveryStart(
            token=private_cookie(request, RECOVERY_LINK), new_password=new, client_ip=client_ip(request)
        )
        started = await call(bus_of(request), START_RECOVERY, wanted)
    except (ValidationError, Unauthenticated):
        return _dead_link(request)
    except InvalidRequest as refused:
        return _password_form(request, PASSWORD_REFUSALS.get(refused.description, "invalid"))
    except TooManyRequests:
        return _password_form(request, "too_many", status=429)
    response = see_other("/login/recover/code")
    keep_challenge(request, response, RECOVERY_CHALLENGE, started)
    return response


async def code_form(request: web.Request) -> web.Response:
    """GET /login/recover/code: the code's form, while a new password waits for it."""
    return waiting_code_form(request, RECOVERY_CHALLENGE, "/login/recover", CODE_FORM, {"refusal": None})


async def finish(request: web.Request) -> web.Response:
    """POST /login/recover/code: the right code sets the password; to the login form, which says so."""
    entered = "".join(field(await request.post(), "code").split())  # people type "123 456"
    try:
        confirmation = RecoveryFinish(
            token=private_cookie(request, RECOVERY_LINK),
            challenge=private_cookie(request, RECOVERY_CHALLENGE),
            code=entered,
            client_ip=client_ip(request),
        )
    except ValidationError:
        return render_page(request, CODE_FORM, {"refusal": 401}, status=401)
    try:
        await call(bus_of(request), FINISH_RECOVERY, confirmation)
    except Unauthenticated as refused:
        if refused.description == LINK_DEAD:
            return _dead_link(request)
        return render_page(request, CODE_FORM, {"refusal": 401}, status=401)
    except TooManyRequests:
        return render_page(request, CODE_FORM, {"refusal": 429}, status=429)
    response = see_other("/login?recovered=1")
    settings = settings_of(request)
    delete_private_cookie(response, settings, RECOVERY_LINK)
    delete_private_cookie(response, settings, RECOVERY_CHALLENGE)
    return response


def _password_form(request: web.Request, problem: str | None, status: int = 400) -> web.Response:
    context: dict[str, Any] = {"problem": problem, "dead": False}
    return render_page(request, PASSWORD_FORM, context, status=200 if problem is None else status)


def _dead_link(request: web.Request) -> web.Response:
    """The link was used, replaced by a newer one, or expired (or the browser holds none)."""
    response = render_page(request, PASSWORD_FORM, {"problem": None, "dead": True, "minutes": LINK_MINUTES}, status=410)
    settings = settings_of(request)
    delete_private_cookie(response, settings, RECOVERY_LINK)
    delete_private_cookie(response, settings, RECOVERY_CHALLENGE)
    return response
