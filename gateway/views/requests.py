"""A physician's requests to the hospital's services (F3.1, F3.2, F3.3, B2): Mes demandes, and the
consultation, tumor-board and message forms, drawn from each kind's JSON Schema; the patient
chosen among Mes patients or typed; a draft is saved as often as needed (with the button, and in
the background as the physician types), then submitted once; a submitted request is shown, never
changed."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from common.bus import call
from common.contracts import documents
from common.contracts import hospital_requests as contract
from common.contracts import requests as api
from common.contracts.documents import ContentChunk
from common.errors import InvalidRequest

from ..forms import field_problems
from ..i18n import request_locale
from ..labels import REQUEST_KIND_NAMES, REQUEST_PERIODS, REQUEST_STATUSES
from ..locale_formats import formats_for
from ..pages import render_list, render_page, see_other, unread_counters, with_counters
from ..query import ListQuery
from ..request_forms import form_fields
from ..sessions import current_token
from ..state import bus_of, settings_of
from ..uploads import FileTaken, PostedForm, message_form, posted_form
from .contents import stream_content

KINDS = "consultation|tumor_board|message"
PER_PAGE = 25
SERVICE_CODE_MAX = 64  # ListMyRequests' bounds on its free-text filters
PATIENT_MAX = 100
REQUEST_ID = r"[0-9a-f-]{36}"
FILE_ID = REQUEST_ID
FORM = "request_form.html"
SENT = "request.html"
PATIENT_FIELDS = ("family_name", "given_name", "birth_date", "sex")
_TEXT_MAX = 10_000
PATIENTS_LISTED = 300
"""The form lists this many of Mes patients at most, the most recent (by name): past them, the
physician types the patient, or starts from the patient's page in Mes patients."""
_NAMED_FIELD = re.compile(r"\$\.(\w+)|required (\w+)")
"""A field a schema refusal names: `$.reason: maxLength`, or `$: required question`."""


async def my_requests(request: web.Request) -> web.Response:
    """GET /requests: one page of Mes demandes, drafts included, the latest changed first, filtered
    as asked; refreshed live when a service answers."""
    query = ListQuery(request.query)
    wanted = api.ListMyRequests(
        page=query.page(),
        per_page=PER_PAGE,
        kind=query.choice("kind", REQUEST_KIND_NAMES),
        service=query.text("service", SERVICE_CODE_MAX),
        status=query.choice("status", REQUEST_STATUSES),
        patient=query.text("patient", PATIENT_MAX),
        period=query.choice("period", REQUEST_PERIODS),
    )
    listed = call(bus_of(request), api.LIST_MY_REQUESTS, wanted, token=current_token(request))
    mine, counters = await with_counters(request, listed)
    context = {
        "counters": counters,
        **query.listing("/requests", mine.total, wanted.page, mine.per_page),
        "items": mine.items,
        "services": [service.code for service in mine.services],
        "service_names": {service.code: service.name for service in mine.services},
        "kinds": REQUEST_KIND_NAMES,
        "statuses": REQUEST_STATUSES,
        "periods": REQUEST_PERIODS,
    }
    return render_list(request, "requests.html", "_requests_region.html", context)


async def new_form(request: web.Request) -> web.Response:
    """GET /requests/new/{kind}: an empty form of the kind (`?patient=`: one of Mes patients chosen)."""
    kind = request.match_info["kind"]
    values = {"urgency": "routine", "my_patient": request.query.get("patient", "")[:64]}
    return await _form(request, kind, None, values, {}, status=200)


async def request_page(request: web.Request) -> web.Response:
    """GET /requests/{id}: a draft's form, or a submitted request as it was sent (its answers read
    now: the counters are asked after it)."""
    found = await _get(request)
    if found.status != "draft":
        return await thread_page(request, SENT, found, {})
    values = _values(found, request_locale(request))
    return await _form(request, found.kind, found.id, values, {}, status=200, files=found.attachments)


async def save(request: web.Request) -> web.Response:
    """POST /requests/new/{kind} or /requests/{id}: save the draft with its files, and submit it if
    asked. A refused file is named in the form, which keeps everything else (the draft is saved)."""
    request_id = request.match_info.get("id")
    kind = request.match_info.get("kind") or (await _get(request)).kind
    posted = await posted_form(request)
    values, locale = _typed(posted), request_locale(request)
    files = (posted.kept() + [taken.id for taken in posted.files])[: api.MAX_ATTACHMENTS]
    try:
        draft = _draft(kind, request_id, values, locale).model_copy(update={"attachments": files})
    except ValidationError as invalid:
        problems = {**posted.problems(), **_problems(invalid, values, locale)}
        return await _form(request, kind, request_id, values, problems, staged=posted.files)
    bus, token = bus_of(request), current_token(request)
    try:
        saved = await call(bus, api.SAVE_DRAFT, draft, token=token)
        if posted.refused is not None:
            return await _form(request, kind, saved.id, values, posted.problems(), files=saved.attachments)
        if posted.text("action") == "submit":
            await call(bus, api.SUBMIT_REQUEST, api.RequestRef(id=saved.id), token=token)
    except InvalidRequest as refused:
        problems = {**posted.problems(), **_named(refused.description)}
        return await _form(request, kind, request_id or None, values, problems, staged=posted.files)
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
    values = _typed(await posted_form(request))  # text fields only: the files stay as they are
    locale = request_locale(request)
    try:
        draft = _draft(kind, request_id, values, locale)
        saved = await call(bus_of(request), api.SAVE_DRAFT, draft, token=current_token(request))
    except ValidationError as invalid:
        return web.json_response({"problems": _problems(invalid, values, locale)}, status=400)
    except InvalidRequest as refused:
        status = 409 if refused.description.startswith("submitted") else 400
        return web.json_response({"problems": _named(refused.description)}, status=status)
    return web.json_response({"id": saved.id, "saved_at": saved.updated_at.isoformat()})


def _typed(posted: PostedForm) -> dict[str, str]:
    return {name: posted.text(name)[:_TEXT_MAX] for name in posted.values}


async def _get(request: web.Request) -> api.RequestDetail:
    ref = api.RequestRef(id=request.match_info["id"])
    return await call(bus_of(request), api.GET_REQUEST, ref, token=current_token(request))


def _draft(kind: str, request_id: str | None, values: dict[str, str], locale: str) -> api.Draft:
    """The form as a draft; raises ValidationError on a value the contract refuses (a birth date
    typed as the locale writes it is given to the contract as ISO; a wrong one as typed)."""
    service, _, choice = values.get("service", "").partition("|")
    answers = {
        item.name: values[item.name].strip() for item in form_fields(kind, "fr") if values.get(item.name, "").strip()
    }
    my_patient = values.get("my_patient", "").strip()
    typed = {name: values.get(name, "").strip() for name in PATIENT_FIELDS}  # used when none is chosen
    typed["birth_date"] = _iso_day(typed["birth_date"], locale) or typed["birth_date"]
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


def _iso_day(typed: str, locale: str) -> str | None:
    """A date typed as the locale writes it (or ISO), as ISO; None if it is no date."""
    try:
        return formats_for(locale).parse_day(typed).isoformat()
    except ValueError:
        return None


def _values(found: api.RequestDetail, locale: str) -> dict[str, Any]:
    choice = found.board if found.kind == "tumor_board" else found.domain
    values: dict[str, Any] = {"service": f"{found.service}|{choice or ''}", "subject": found.subject}
    values |= {"urgency": found.urgency, **found.fields}
    if found.my_patient is not None and found.patient is not None:
        values["my_patient"] = found.my_patient
        values["my_patient_label"] = (found.patient.family_name, found.patient.given_name, found.patient.birth_date)
    elif found.patient is not None:
        values |= {name: str(getattr(found.patient, name)) for name in PATIENT_FIELDS}
        values["birth_date"] = formats_for(locale).day(found.patient.birth_date)
    return values


def _problems(invalid: ValidationError, values: dict[str, str], locale: str) -> dict[str, str]:
    problems = field_problems(invalid)
    if "patient" in problems:
        problems |= {name: "invalid" for name in PATIENT_FIELDS}
    birth_date = values.get("birth_date", "").strip()
    if birth_date and _iso_day(birth_date, locale) is None:
        problems["birth_date"] = "date"
    elif birth_date:
        problems.pop("birth_date", None)  # the date is right: another of the patient's fields is not
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
    files: Sequence[api.AttachmentSummary] = (),
    staged: Sequence[FileTaken] = (),
) -> web.Response:
    """The kind's form; `files`: the draft's, `staged`: sent with a form that came back unsaved."""
    bus, token = bus_of(request), current_token(request)
    asked = api.ListServices(with_response_times=True)  # each service's usual time to a first answer
    listed, (my_patients, more) = await asyncio.gather(
        call(bus, api.LIST_SERVICES, asked, token=token), _my_patients(request)
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
        "files": [*files, *staged],
        "usual_times": [service for service in services if kind != "tumor_board" or service.boards],
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
    """POST /requests/{id}/reply: the physician's message, with its files, in a sent request's thread."""
    posted = await posted_form(request)
    request_id = request.match_info["id"]
    bus, token = bus_of(request), current_token(request)
    files = posted.kept() + [taken.id for taken in posted.files]
    problems = posted.problems()
    try:
        wanted = api.PhysicianReply(id=request_id, text=posted.text("text").strip(), attachments=files)
        if not problems:
            await call(bus, api.REPLY, wanted, token=token)
    except (ValidationError, InvalidRequest):
        problems = {"text": "invalid"}
    if problems:
        return await thread_page(request, SENT, await _get(request), problems, status=400, posted=posted)
    return see_other(f"/requests/{request_id}")


async def thread_page(
    request: web.Request,
    template: str,
    found: api.RequestDetail,
    problems: dict[str, str],
    status: int = 200,
    posted: PostedForm | None = None,
) -> web.Response:
    """A sent request, its thread and the form to write in it (as sent, when it came back): the
    physician's page or the service's."""
    context = {
        "item": found,
        "fields": form_fields(found.kind, request_locale(request)),
        "problems": problems,
        **message_form(posted),
    }
    if template == SENT:  # the physician's: its thread is refreshed live when an answer arrives
        context["counters"] = await unread_counters(request)
        return render_list(request, SENT, "_request_region.html", context, status=status)
    return render_page(request, template, context, status=status)


async def view_file(request: web.Request) -> web.StreamResponse:
    """GET /requests/{id}/files/{file}: a file of a request or of its thread, for the physician or
    the service's members (the requests service decides), shown by the browser, a chunk at a time."""
    bus, token = bus_of(request), current_token(request)
    request_id, file_id = request.match_info["id"], request.match_info["file"]

    async def read(offset: int) -> ContentChunk:
        wanted = api.AttachmentRead(request_id=request_id, id=file_id, offset=offset)
        return await call(bus, api.READ_ATTACHMENT, wanted, token=token)

    return await stream_content(request, read, "view")
