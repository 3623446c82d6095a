"""Changing one's password or mobile number: a form (with the current password), then the code
sent by SMS to the current number.

The new value goes to identity once, in the first step; identity keeps it (a password only as
its hash) with the attempt until the code confirms it. Nothing here logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import BaseModel

from common.bus import call
from common.contracts import identity
from common.contracts.base import Empty, SignedEndpoint
from common.contracts.phones import mobile_e164
from common.errors import InvalidRequest, TooManyRequests, Unauthenticated

from ..access import FIRST_STEP_PAGES
from ..cookies import STEP_UP, delete_private_cookie, private_cookie
from ..forms import field
from ..labels import PASSWORD_REFUSALS
from ..pages import render_page, see_other
from ..sessions import current_session, current_token, forget
from ..state import bus_of, settings_of
from .auth import keep_challenge, waiting_code_form

CODE_FORM = "change_code.html"
_SECRET_MAX = identity.PASSWORD_MAX_LENGTH
_CODE_MAX = 20


@dataclass(frozen=True)
class Change:
    path: str  # the form's; the code's form is at path + "/code"
    form: str  # template
    start: SignedEndpoint[Any, identity.CodeChallenge]  # identity's endpoints
    finish: SignedEndpoint[identity.ChangeConfirmation, Any]
    verify: SignedEndpoint[identity.ChangeConfirmation, Empty] | None = None  # a second code, to the new number


PASSWORD = Change("/profile/password", "password.html", identity.START_PASSWORD_CHANGE, identity.FINISH_PASSWORD_CHANGE)
MOBILE = Change(
    "/profile/mobile",
    "mobile.html",
    identity.START_MOBILE_CHANGE,
    identity.CONFIRM_MOBILE_CHANGE,
    verify=identity.VERIFY_NEW_MOBILE,
)


def form_page(change: Change) -> Handler:
    async def page(request: web.Request) -> web.Response:
        """GET the change's form (or, after a change, that it is done)."""
        return _form(request, change, None, changed=request.query.get("changed") == "1")

    return page


def code_page(change: Change) -> Handler:
    async def page(request: web.Request) -> web.Response:
        """GET the code's form, while a change waits for it."""
        return waiting_code_form(request, STEP_UP, change.path, CODE_FORM, _code_context(request, change, None))

    return page


async def start_password_change(request: web.Request) -> web.Response:
    """POST /profile/password: identity checks both passwords and sends the code."""
    form = await request.post()
    current, new, again = field(form, "current"), field(form, "new"), field(form, "again")
    if not (0 < len(current) <= _SECRET_MAX and 0 < len(new) <= _SECRET_MAX):
        return _form(request, PASSWORD, "missing")
    if new != again:
        return _form(request, PASSWORD, "mismatch")
    wanted = identity.PasswordChangeStart(current_password=current, new_password=new)
    return await _start(request, PASSWORD, wanted)


async def start_mobile_change(request: web.Request) -> web.Response:
    """POST /profile/mobile: identity checks the password and sends the code to the current number."""
    form = await request.post()
    current, mobile = field(form, "current"), field(form, "mobile")
    if not (0 < len(current) <= _SECRET_MAX and 0 < len(mobile) <= 40):
        return _form(request, MOBILE, "missing")
    try:
        new_mobile = mobile_e164(mobile)
    except ValueError:
        return _form(request, MOBILE, "not_mobile")
    wanted = identity.MobileChangeStart(current_password=current, new_mobile=new_mobile)
    return await _start(request, MOBILE, wanted)


def finish_change(change: Change) -> Handler:
    async def finish(request: web.Request) -> web.Response:
        """POST the code: identity applies the change."""
        form = await request.post()
        challenge = private_cookie(request, STEP_UP)
        entered = "".join(field(form, "code").split())
        context = _code_context(request, change, "code")
        if not (0 < len(challenge) <= _SECRET_MAX and 0 < len(entered) <= _CODE_MAX):
            return render_page(request, CODE_FORM, context, status=400)
        confirmation = identity.ChangeConfirmation(challenge=challenge, code=entered)
        try:
            if change.verify is not None and not context["new_value"]:  # first code: then one to the new number
                second = await call(bus_of(request), change.finish, confirmation, token=current_token(request))
                response = see_other(change.path + "/code?new=1")
                keep_challenge(request, response, STEP_UP, second)
                return response
            last = change.verify if change.verify is not None else change.finish
            await call(bus_of(request), last, confirmation, token=current_token(request))
        except Unauthenticated:
            return render_page(request, CODE_FORM, context, status=400)
        except TooManyRequests:
            return render_page(request, CODE_FORM, {**context, "problem": "too_many"}, status=429)
        response = see_other(_after_change(request, change))
        delete_private_cookie(response, settings_of(request), STEP_UP)
        forget(request)  # what identity said of the session has changed
        return response

    return finish


def _after_change(request: web.Request, change: Change) -> str:
    """Where a change leads: a first login's temporary password (step 1 of 2) on to the profile
    (step 2), any other change to its page, which says it is done."""
    account = current_session(request).account
    if change is PASSWORD and account.must_change_password and account.profile_to_confirm:
        return FIRST_STEP_PAGES["profile"] + "&step=2"
    return change.path + "?changed=1"


def _code_context(request: web.Request, change: Change, problem: str | None) -> dict[str, Any]:
    """The code page's values: which change, and whether the code went to the new number."""
    return {"problem": problem, "change": change.path, "new_value": request.query.get("new") == "1"}


async def _start(request: web.Request, change: Change, wanted: BaseModel) -> web.Response:
    try:
        started = await call(bus_of(request), change.start, wanted, token=current_token(request))
    except Unauthenticated:
        return _form(request, change, "current")
    except InvalidRequest as refused:
        return _form(request, change, PASSWORD_REFUSALS.get(refused.description, "invalid"))
    except TooManyRequests:
        return _form(request, change, "too_many", status=429)
    response = see_other(change.path + "/code")
    keep_challenge(request, response, STEP_UP, started)
    return response


def _form(
    request: web.Request, change: Change, problem: str | None, status: int = 400, changed: bool = False
) -> web.Response:
    account = current_session(request).account
    first = account.must_change_password
    context: dict[str, Any] = {
        "problem": problem,
        "changed": changed,
        "first": first,
        "two_steps": first and account.profile_to_confirm,  # step 1 of 2, then the profile
    }
    return render_page(request, change.form, context, status=200 if problem is None else status)
