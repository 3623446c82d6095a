"""A physician's requests to the hospital's services (F3.1, F3.2, B2): Mes demandes, and the
consultation and tumor-board forms, drawn from each kind's JSON Schema; a draft is saved as
often as needed, then submitted once; a submitted request is shown, never changed."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from common.bus import call
from common.contracts import hospital_requests as contract
from common.contracts import requests as api
from common.errors import InvalidRequest

from ..forms import field, field_problems
from ..i18n import request_locale
from ..pages import render_list, render_page, see_other, unread_counters, with_counters
from ..request_forms import form_fields
from ..sessions import current_token
from ..state import bus_of

KINDS = "consultation|tumor_board"
REQUEST_ID = r"[0-9a-f-]{36}"
FORM = "request_form.html"
PATIENT_FIELDS = ("family_name", "given_name", "birth_date", "sex")
_TEXT_MAX = 10_000
_NAMED_FIELD = re.compile(r"\$\.(\w+)|required (\w+)")
"""A field a schema refusal names: `$.reason: maxLength`, or `$: required question`."""


async def my_requests(request: web.Request) -> web.Response:
    """GET /requests: Mes demandes, drafts included, the latest changed first; refreshed live when
    a service answers."""
    listed = call(bus_of(request), api.LIST_MY_REQUESTS, api.ListMyRequests(), token=current_token(request))
    mine, counters = await with_counters(request, listed)
    return render_list(request, "requests.html", "_requests_region.html", {"items": mine.items, "counters": counters})


async def new_form(request: web.Request) -> web.Response:
    """GET /requests/new/{kind}: an empty form of the kind."""
    kind = request.match_info["kind"]
    return await _form(request, kind, None, {"urgency": "routine"}, {}, status=200)


async def request_page(request: web.Request) -> web.Response:
    """GET /requests/{id}: a draft's form, or a submitted request as it was sent (its answers read
    now: the counters are asked after it)."""
    found = await _get(request)
    if found.status != "draft":
        return await _sent_page(request, found, {})
    return await _form(request, found.kind, found.id, _values(found), {}, status=200)


async def save(request: web.Request) -> web.Response:
    """POST /requests/new/{kind} or /requests/{id}: save the draft, and submit it if asked."""
    request_id = request.match_info.get("id")
    kind = request.match_info.get("kind") or (await _get(request)).kind
    posted = await request.post()
    values = {name: field(posted, name)[:_TEXT_MAX] for name in posted if isinstance(posted.get(name), str)}
    try:
        draft = _draft(kind, request_id, values)
    except ValidationError as invalid:
        return await _form(request, kind, request_id, values, _problems(invalid))
    bus, token = bus_of(request), current_token(request)
    try:
        saved = await call(bus, api.SAVE_DRAFT, draft, token=token)
        if field(posted, "action") == "submit":
            await call(bus, api.SUBMIT_REQUEST, api.RequestRef(id=saved.id), token=token)
    except InvalidRequest as refused:
        return await _form(request, kind, request_id or None, values, _named(refused.description))
    return see_other(f"/requests/{saved.id}")


async def _get(request: web.Request) -> api.RequestDetail:
    ref = api.RequestRef(id=request.match_info["id"])
    return await call(bus_of(request), api.GET_REQUEST, ref, token=current_token(request))


def _draft(kind: str, request_id: str | None, values: dict[str, str]) -> api.Draft:
    """The form as a draft; raises ValidationError on a value the contract refuses."""
    service, _, choice = values.get("service", "").partition("|")
    answers = {
        item.name: values[item.name].strip() for item in form_fields(kind, "fr") if values.get(item.name, "").strip()
    }
    patient = {name: values.get(name, "").strip() for name in PATIENT_FIELDS}
    return api.Draft(
        id=request_id,
        kind=kind,
        service=service,
        domain=(choice or None) if kind != "tumor_board" else None,
        board=choice if kind == "tumor_board" else None,
        subject=values.get("subject", "").strip(),
        urgency=values.get("urgency", "routine"),
        fields=answers,
        patient=contract.TypedPatient(id=None, **patient) if any(patient.values()) else None,
    )


def _values(found: api.RequestDetail) -> dict[str, Any]:
    choice = found.board if found.kind == "tumor_board" else found.domain
    values: dict[str, Any] = {"service": f"{found.service}|{choice or ''}", "subject": found.subject}
    values |= {"urgency": found.urgency, **found.fields}
    if found.patient is not None:
        values |= {name: str(getattr(found.patient, name)) for name in PATIENT_FIELDS}
    return values


def _problems(invalid: ValidationError) -> dict[str, str]:
    problems = field_problems(invalid)
    if "patient" in problems:
        problems |= {name: "invalid" for name in PATIENT_FIELDS}
    if "fields" in problems or "board" in problems or "domain" in problems:
        problems["service"] = "invalid"
    return problems


def _named(description: str) -> dict[str, str]:
    """The fields a refusal names (`fields: $.question: required`, `subject: required`…)."""
    head = description.split(":", 1)[0]
    named = {at or missing: "invalid" for at, missing in _NAMED_FIELD.findall(description)}
    if head == "patient":
        named |= {name: "invalid" for name in PATIENT_FIELDS}
    elif head in ("subject", "service", "board"):
        named["service" if head == "board" else head] = "invalid"
    return named or {"form": "invalid"}


async def _form(
    request: web.Request,
    kind: str,
    request_id: str | None,
    values: dict[str, Any],
    problems: dict[str, str],
    status: int = 400,
) -> web.Response:
    listed = await call(bus_of(request), api.LIST_SERVICES, api.ListServices(), token=current_token(request))
    services = [service for service in listed.services if kind in service.accepts]
    context = {
        "kind": kind,
        "request_id": request_id,
        "values": values,
        "problems": problems,
        "fields": form_fields(kind, request_locale(request)),
        "adults": [service for service in services if service.domain in ("adults", "both")],
        "paediatrics": [service for service in services if service.domain in ("paediatrics", "both")],
        "boards": [(service, board) for service in services for board in service.boards],
    }
    return render_page(request, FORM, context, status=status)


async def reply(request: web.Request) -> web.Response:
    """POST /requests/{id}/reply: the physician's message in a sent request's thread."""
    posted = await request.post()
    request_id = request.match_info["id"]
    bus, token = bus_of(request), current_token(request)
    try:
        wanted = api.PhysicianReply(id=request_id, text=field(posted, "text").strip())
        await call(bus, api.REPLY, wanted, token=token)
    except (ValidationError, InvalidRequest):
        return await _sent_page(request, await _get(request), {"text": "invalid"}, status=400)
    return see_other(f"/requests/{request_id}")


async def _sent_page(
    request: web.Request, found: api.RequestDetail, problems: dict[str, str], status: int = 200
) -> web.Response:
    """A sent request as it was sent, its thread (refreshed live when an answer arrives), and the
    physician's message form."""
    fields = form_fields(found.kind, request_locale(request))
    context = {"item": found, "fields": fields, "problems": problems, "counters": await unread_counters(request)}
    return render_list(request, "request.html", "_request_region.html", context, status=status)
