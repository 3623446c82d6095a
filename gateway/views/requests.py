"""A physician's requests to the hospital's services (F3.1, F3.2, F3.3, B2): Mes demandes, and the
consultation, tumor-board and message forms, drawn from each kind's JSON Schema; the patient
chosen among Mes patients or typed; a draft is saved as often as needed (with the button, and in
the background as the physician types), then submitted once; a submitted request is shown, never
changed."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from common.bus import call
from common.contracts import documents
from common.contracts import hospital_requests as contract
from common.contracts import requests as api
from common.errors import InvalidRequest

from ..forms import field, field_problems
from ..i18n import request_locale
from ..pages import render_page, see_other
from ..request_forms import form_fields
from ..sessions import current_token
from ..state import bus_of, settings_of

KINDS = "consultation|tumor_board|message"
REQUEST_ID = r"[0-9a-f-]{36}"
FORM = "request_form.html"
PATIENT_FIELDS = ("family_name", "given_name", "birth_date", "sex")
_TEXT_MAX = 10_000
PATIENTS_LISTED = 300
"""The form lists this many of Mes patients at most, the most recent (by name): past them, the
physician types the patient, or starts from the patient's page in Mes patients."""
_NAMED_FIELD = re.compile(r"\$\.(\w+)|required (\w+)")
"""A field a schema refusal names: `$.reason: maxLength`, or `$: required question`."""


async def my_requests(request: web.Request) -> web.Response:
    """GET /requests: Mes demandes, drafts included, the latest changed first."""
    mine = await call(bus_of(request), api.LIST_MY_REQUESTS, api.ListMyRequests(), token=current_token(request))
    return render_page(request, "requests.html", {"items": mine.items})


async def new_form(request: web.Request) -> web.Response:
    """GET /requests/new/{kind}: an empty form of the kind (`?patient=`: one of Mes patients chosen)."""
    kind = request.match_info["kind"]
    values = {"urgency": "routine", "my_patient": request.query.get("patient", "")[:64]}
    return await _form(request, kind, None, values, {}, status=200)


async def request_page(request: web.Request) -> web.Response:
    """GET /requests/{id}: a draft's form, or a submitted request as it was sent."""
    found = await _get(request)
    if found.status != "draft":
        return _sent_page(request, found, {})
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


async def autosave(request: web.Request) -> web.Response:
    """POST /requests/new/{kind}/autosave or /requests/{id}/autosave: the draft saved in the
    background as the physician types (static/request_form.js); never submitted. JSON: `{id,
    saved_at}`; a form the contract refuses, `{problems}` (400, nothing saved); a sent request, 409."""
    request_id = request.match_info.get("id")
    kind = request.match_info.get("kind")
    if kind is None:
        found = await _get(request)  # someone else's: not found
        if found.status != "draft":
            return web.json_response({"problems": {"form": "submitted"}}, status=409)
        kind = found.kind
    posted = await request.post()
    values = {name: field(posted, name)[:_TEXT_MAX] for name in posted if isinstance(posted.get(name), str)}
    try:
        draft = _draft(kind, request_id, values)
        saved = await call(bus_of(request), api.SAVE_DRAFT, draft, token=current_token(request))
    except ValidationError as invalid:
        return web.json_response({"problems": _problems(invalid)}, status=400)
    except InvalidRequest as refused:
        status = 409 if refused.description.startswith("submitted") else 400
        return web.json_response({"problems": _named(refused.description)}, status=status)
    return web.json_response({"id": saved.id, "saved_at": saved.updated_at.isoformat()})


async def _get(request: web.Request) -> api.RequestDetail:
    ref = api.RequestRef(id=request.match_info["id"])
    return await call(bus_of(request), api.GET_REQUEST, ref, token=current_token(request))


def _draft(kind: str, request_id: str | None, values: dict[str, str]) -> api.Draft:
    """The form as a draft; raises ValidationError on a value the contract refuses."""
    service, _, choice = values.get("service", "").partition("|")
    answers = {
        item.name: values[item.name].strip() for item in form_fields(kind, "fr") if values.get(item.name, "").strip()
    }
    my_patient = values.get("my_patient", "").strip()
    typed = {name: values.get(name, "").strip() for name in PATIENT_FIELDS}  # used when none is chosen
    return api.Draft(
        id=request_id,
        kind=kind,
        service=service,
        domain=(choice or None) if kind != "tumor_board" else None,
        board=choice if kind == "tumor_board" else None,
        subject=values.get("subject", "").strip(),
        urgency=values.get("urgency", "routine"),
        fields=answers,
        patient=contract.TypedPatient(id=None, **typed) if any(typed.values()) and not my_patient else None,
        my_patient=my_patient or None,
    )


def _values(found: api.RequestDetail) -> dict[str, Any]:
    choice = found.board if found.kind == "tumor_board" else found.domain
    values: dict[str, Any] = {"service": f"{found.service}|{choice or ''}", "subject": found.subject}
    values |= {"urgency": found.urgency, **found.fields}
    if found.my_patient is not None and found.patient is not None:
        values["my_patient"] = found.my_patient
        values["my_patient_label"] = (found.patient.family_name, found.patient.given_name, found.patient.birth_date)
    elif found.patient is not None:
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
    elif head in ("subject", "service", "board", "my_patient"):
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
    bus, token = bus_of(request), current_token(request)
    listed, (my_patients, more) = await asyncio.gather(
        call(bus, api.LIST_SERVICES, api.ListServices(), token=token), _my_patients(request)
    )
    services = [service for service in listed.services if kind in service.accepts]
    settings = settings_of(request)
    context = {
        "kind": kind,
        "request_id": request_id,
        "values": values,
        "problems": problems,
        "fields": form_fields(kind, request_locale(request)),
        "adults": [service for service in services if service.domain in ("adults", "both")],
        "paediatrics": [service for service in services if service.domain in ("paediatrics", "both")],
        "boards": [(service, board) for service in services for board in service.boards],
        "services": services,  # a message's: one list, by name
        "my_patients": my_patients,
        "more_patients": more,
        "patients_listed": PATIENTS_LISTED,
        "hospital_phone": settings.hospital_phone,
        "hospital_email": settings.hospital_email,
    }
    return render_page(request, FORM, context, status=status)


async def _my_patients(request: web.Request) -> tuple[list[documents.PatientSummary], bool]:
    """Mes patients for the form's list, by name (namesakes by birth date): the most recent
    PATIENTS_LISTED of them, and whether there are more."""
    found: list[documents.PatientSummary] = []
    total, page = 0, 1
    while len(found) < PATIENTS_LISTED:
        wanted = documents.ListPatients(page=page, per_page=100)  # all of them, whatever the profile shows
        listed = await call(bus_of(request), documents.LIST_PATIENTS, wanted, token=current_token(request))
        found, total, page = found + listed.items, listed.total, page + 1
        if not listed.items or len(found) >= total:
            break
    return sorted(found, key=lambda patient: (patient.name.casefold(), patient.birth_date)), total > len(found)


async def reply(request: web.Request) -> web.Response:
    """POST /requests/{id}/reply: the physician's message in a sent request's thread."""
    posted = await request.post()
    request_id = request.match_info["id"]
    bus, token = bus_of(request), current_token(request)
    try:
        wanted = api.PhysicianReply(id=request_id, text=field(posted, "text").strip())
        await call(bus, api.REPLY, wanted, token=token)
    except (ValidationError, InvalidRequest):
        return _sent_page(request, await _get(request), {"text": "invalid"}, status=400)
    return see_other(f"/requests/{request_id}")


def _sent_page(
    request: web.Request, found: api.RequestDetail, problems: dict[str, str], status: int = 200
) -> web.Response:
    """A sent request as it was sent, its thread, and the physician's message form."""
    context = {"item": found, "fields": form_fields(found.kind, request_locale(request)), "problems": problems}
    return render_page(request, "request.html", context, status=status)
