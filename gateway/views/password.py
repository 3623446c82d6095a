"""Changing one's password: the current one and the new one, then the code sent by SMS.

The new password goes to identity once, in the first step; identity keeps its hash with the
attempt until the code confirms it. Nothing here logs.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from common.bus import call
from common.contracts.identity import (
    PASSWORD_CHANGE_FINISH,
    PASSWORD_CHANGE_START,
    PASSWORD_MAX_LENGTH,
    ChangeConfirmation,
    CodeChallenge,
    Empty,
    PasswordChangeStart,
)
from common.errors import InvalidRequest, TooManyRequests, Unauthenticated

from ..cookies import STEP_UP, delete_private_cookie, set_private_cookie
from ..labels import PASSWORD_REFUSALS
from ..pages import render_page, see_other
from ..sessions import session_cookie
from ..state import bus_of, settings_of
from .auth import field, seconds_until, waiting_code_form

FORM, CODE_FORM = "password.html", "password_code.html"
_CODE_MAX = 20


async def password_form(request: web.Request) -> web.Response:
    """GET /profile/password: the change form (or, after a change, that it is done)."""
    return render_page(request, FORM, {"problem": None, "changed": request.query.get("changed") == "1"})


async def start_change(request: web.Request) -> web.Response:
    """POST /profile/password: identity checks both passwords and sends the code."""
    form = await request.post()
    current, new, again = field(form, "current"), field(form, "new"), field(form, "again")
    if not (0 < len(current) <= PASSWORD_MAX_LENGTH and 0 < len(new) <= PASSWORD_MAX_LENGTH):
        return _again(request, FORM, "missing")
    if new != again:
        return _again(request, FORM, "mismatch")
    wanted = PasswordChangeStart(session=current_handle(request), current_password=current, new_password=new)
    try:
        started = await call(bus_of(request), PASSWORD_CHANGE_START, wanted, CodeChallenge)
    except Unauthenticated:
        return _again(request, FORM, "current")
    except InvalidRequest as refused:
        return _again(request, FORM, PASSWORD_REFUSALS.get(refused.description, "invalid"))
    except TooManyRequests:
        return _again(request, FORM, "too_many", status=429)
    response = see_other("/profile/password/code")
    set_private_cookie(
        response, settings_of(request), STEP_UP, started.challenge, max_age=seconds_until(started.expires_at)
    )
    return response


async def code_form(request: web.Request) -> web.Response:
    """GET /profile/password/code: the code's form, while a change waits for it."""
    return waiting_code_form(request, STEP_UP, "/profile/password", CODE_FORM, {"problem": None})


async def finish_change(request: web.Request) -> web.Response:
    """POST /profile/password/code: the code applies the new password."""
    form = await request.post()
    challenge = request.cookies.get(STEP_UP, "")
    entered = "".join(field(form, "code").split())
    if not (0 < len(challenge) <= PASSWORD_MAX_LENGTH and 0 < len(entered) <= _CODE_MAX):
        return _again(request, CODE_FORM, "code")
    confirmation = ChangeConfirmation(session=current_handle(request), challenge=challenge, code=entered)
    try:
        await call(bus_of(request), PASSWORD_CHANGE_FINISH, confirmation, Empty)
    except Unauthenticated:
        return _again(request, CODE_FORM, "code")
    response = see_other("/profile/password?changed=1")
    delete_private_cookie(response, settings_of(request), STEP_UP)
    return response


def current_handle(request: web.Request) -> str:
    """The browser's session handle, for identity's own operations on that session."""
    handle = session_cookie(request)
    if handle is None:  # the sessions middleware let the request through: it had one
        raise Unauthenticated()
    return handle


def _again(request: web.Request, form: str, problem: str, status: int = 400) -> web.Response:
    context: dict[str, Any] = {"problem": problem, "changed": False}
    return render_page(request, form, context, status=status)
