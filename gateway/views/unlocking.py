"""Unlocking a login blocked by failed attempts, with a code sent by SMS to the account's mobile.

The pages say the same whether the name exists, is blocked, or has a mobile: identity decides
whether a code goes out. Nothing here logs: the login name and the code identify someone.
"""

from __future__ import annotations

from aiohttp import web

from common.contracts.identity import ASK_UNLOCK, UNLOCK_WITH_CODE, UnlockAsk, UnlockCode

from ..cookies import UNLOCK_CHALLENGE, delete_private_cookie, private_cookie
from ..forms import field
from ..pages import render_page, see_other
from ..state import settings_of
from .auth import client_ip, keep_challenge, login_step, waiting_code_form

ASK_FORM = "login_unlock.html"
CODE_FORM = "login_unlock_code.html"


async def unlock_form(request: web.Request) -> web.Response:
    """GET /login/unlock: the login name whose password login is blocked."""
    return render_page(request, ASK_FORM, {"refusal": None})


async def ask_unlock(request: web.Request) -> web.Response:
    """POST /login/unlock: identity sends a code if the name is blocked; on to the code's form."""
    form = await request.post()
    challenge = await login_step(
        request,
        ASK_UNLOCK,
        lambda: UnlockAsk(login=field(form, "login"), client_ip=client_ip(request)),
        lambda status: render_page(request, ASK_FORM, {"refusal": status}, status=status),
    )
    if isinstance(challenge, web.Response):
        return challenge
    response = see_other("/login/unlock/code")
    keep_challenge(request, response, UNLOCK_CHALLENGE, challenge)
    return response


async def unlock_code_form(request: web.Request) -> web.Response:
    """GET /login/unlock/code: the code's form, while an unlocking attempt waits for it."""
    return waiting_code_form(request, UNLOCK_CHALLENGE, "/login/unlock", CODE_FORM, {"refusal": None})


async def unlock(request: web.Request) -> web.Response:
    """POST /login/unlock/code: the right code unlocks; back to the login form, which says so."""
    form = await request.post()
    done = await login_step(
        request,
        UNLOCK_WITH_CODE,
        lambda: UnlockCode(
            challenge=private_cookie(request, UNLOCK_CHALLENGE),
            code="".join(field(form, "code").split()),
            client_ip=client_ip(request),
        ),
        lambda status: render_page(request, CODE_FORM, {"refusal": status}, status=status),
    )
    if isinstance(done, web.Response):
        return done
    response = see_other("/login?unlocked=1")
    delete_private_cookie(response, settings_of(request), UNLOCK_CHALLENGE)
    return response
