"""The validators' pages (F5.3 step 2): the queue of registration requests, and a request with
the identity check: control SMS, its code read back, the signature. Validators and
administrators only (gateway/access.py); identity decides again, and to anyone else a request
does not exist."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web
from pydantic import ValidationError

from common.bus import call
from common.contracts import registration as api
from common.contracts.accounts import LOGIN_TAKEN
from common.contracts.base import Message, SignedEndpoint
from common.errors import Conflict, TooManyRequests, Unauthenticated

from ..forms import field
from ..labels import REFUSAL_REASONS
from ..pages import render_page, see_other
from ..sessions import current_session, current_token
from ..state import bus_of

QUEUE_STATES = ("submitted", "validated", "login_created", "refused")
REQUEST_ID = r"[0-9a-f-]{36}"
Step = TypeVar("Step", bound=Message)
NOTE_READ = 2_000  # a longer note is refused (500 characters at most), never cut unseen


async def queue_page(request: web.Request) -> web.Response:
    """GET /validation?state=...: requests waiting for their identity check (or another state)."""
    state = request.query.get("state", "submitted")
    wanted = api.QueueQuery(state=state if state in QUEUE_STATES else None)
    found = await call(bus_of(request), api.LIST_REQUESTS, wanted, token=current_token(request))
    return render_page(request, "validation_queue.html", {"requests": found.items, "state": wanted.state})


async def request_page(request: web.Request) -> web.Response:
    """GET /validation/{id}: the request, and the identity check's next step."""
    ref = api.RequestRef(id=request.match_info["id"])
    found = await call(bus_of(request), api.GET_REQUEST, ref, token=current_token(request))
    return _page(request, found, None)


async def send_control_sms(request: web.Request) -> web.Response:
    """POST /validation/{id}/control: a code to the applicant's mobile."""
    ref = api.RequestRef(id=request.match_info["id"])
    try:
        await call(bus_of(request), api.SEND_CONTROL_SMS, ref, token=current_token(request))
    except TooManyRequests:
        return await refused_page(request, ref.id, "too_many", 429)
    return see_other(f"/validation/{ref.id}")


async def confirm_control(request: web.Request) -> web.Response:
    """POST /validation/{id}/control/confirm: the code the applicant reads from their phone."""
    form = await request.post()
    request_id = request.match_info["id"]
    code = api.ControlCode(id=request_id, code=field(form, "code")[:20] or "-")
    try:
        await call(bus_of(request), api.CONFIRM_CONTROL, code, token=current_token(request))
    except Unauthenticated:
        return await refused_page(request, request_id, "wrong_code", 400)
    return see_other(f"/validation/{request_id}")


async def sign(request: web.Request) -> web.Response:
    """POST /validation/{id}/sign: the validator signs the identity check."""
    form = await request.post()
    request_id = request.match_info["id"]
    values = {
        name: field(form, name).strip()[:100]
        for name in ("check_method", "id_document_number", "validator_name", "place")
    }
    return await _step(
        request, api.SIGN_VALIDATION, lambda: api.Validation(id=request_id, **values), values, "signature", "not_ready"
    )


async def create_login(request: web.Request) -> web.Response:
    """POST /validation/{id}/login: an administrator creates the login; identity emails the password."""
    form = await request.post()
    request_id = request.match_info["id"]
    values = {"login": field(form, "login").strip()[:60]}
    try:
        creation = api.LoginCreation(id=request_id, login=values["login"])
    except ValidationError:
        return await refused_page(request, request_id, "login_name", 400, values)
    try:
        await call(bus_of(request), api.CREATE_LOGIN, creation, token=current_token(request))
    except Conflict as refused:
        problem = "login_taken" if refused.description == LOGIN_TAKEN else "not_ready"
        return await refused_page(request, request_id, problem, 409, values)
    return see_other(f"/validation/{request_id}")


async def refuse(request: web.Request) -> web.Response:
    """POST /validation/{id}/refuse: the validator refuses the request; identity emails the applicant why."""
    form = await request.post()
    request_id = request.match_info["id"]
    values = {"reason": field(form, "reason"), "note": field(form, "note").strip()[:NOTE_READ]}
    return await _step(
        request,
        api.REFUSE_REQUEST,
        lambda: api.RequestRefusal.model_validate({"id": request_id, **values}),
        values,
        "refusal",
        "not_refusable",
    )


async def _step(
    request: web.Request,
    endpoint: SignedEndpoint[Step, api.RequestDetail],
    step: Callable[[], Step],
    values: dict[str, str],
    invalid: str,
    refused: str,
) -> web.Response:
    """A step of the check sent to identity; the page again, with what was sent, saying `invalid`
    for a form written wrong, or `refused` when the request is not (or no longer) at that step."""
    request_id = request.match_info["id"]
    try:
        message = step()
    except ValidationError:
        return await refused_page(request, request_id, invalid, 400, values)
    try:
        await call(bus_of(request), endpoint, message, token=current_token(request))
    except Conflict:
        return await refused_page(request, request_id, refused, 409, values)
    return see_other(f"/validation/{request_id}")


async def refused_page(
    request: web.Request, request_id: str, problem: str, status: int, values: dict[str, str] | None = None
) -> web.Response:
    """The request's page again, saying what was wrong with what was sent (and keeping it)."""
    ref = api.RequestRef(id=request_id)
    return _page(
        request,
        await call(bus_of(request), api.GET_REQUEST, ref, token=current_token(request)),
        problem,
        status,
        values,
    )


def _page(
    request: web.Request,
    found: api.RequestDetail,
    problem: str | None,
    status: int = 200,
    values: dict[str, str] | None = None,
) -> web.Response:
    signer = current_session(request).account.display_name
    context: dict[str, Any] = {
        "item": found,
        "refusal_reasons": REFUSAL_REASONS,
        "problem": problem,
        "values": values or {"validator_name": signer},
        "is_admin": current_session(request).account.role == "admin",
    }
    return render_page(request, "validation_request.html", context, status=status)
