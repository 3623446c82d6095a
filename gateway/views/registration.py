"""The public registration form for SMS login (F5.3): the paper form's fields, each problem shown
beside its field, nothing typed lost; then the request's reference. Whether the number already has
an account is never shown: the answer is the same."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from common.bus import call
from common.contracts.registration import (
    SUBMIT_REGISTRATION,
    RegistrationForm,
    RegistrationSubmission,
)
from common.errors import TooManyRequests

from ..applicant_copy import posted_registration, send_copy
from ..forms import field_problems
from ..i18n import request_locale
from ..pages import render_page, see_other
from ..state import bus_of, settings_of
from .auth import client_ip

FORM, SENT = "registration.html", "registration_sent.html"
TEXT_FIELDS = (
    "family_name",
    "given_name",
    "street",
    "address_extra",
    "postcode",
    "city",
    "country",
    "email",
    "mobile",
    "number",
    "signed_place",
)
_FIELD_MAX = 200
GLN_DIGITS, RPPS_DIGITS = 13, 11
_REFERENCE = re.compile(r"R-[0-9A-Z]{4}-[0-9A-Z]{4}")


async def registration_form(request: web.Request) -> web.Response:
    """GET /register: the empty form (Switzerland chosen)."""
    return _form(request, {"country": "CH"}, {}, status=200)


async def submit_registration(request: web.Request) -> web.Response:
    """POST /register: check the fields (and the copy's start), then identity keeps the request,
    and the copy of the identity document, if one came, for that request."""
    posted = await posted_registration(request, (*TEXT_FIELDS, "screening_access", "signed"))
    values = {name: posted.values.get(name, "").strip()[:_FIELD_MAX] for name in TEXT_FIELDS}
    values["screening_access"] = "1" if posted.values.get("screening_access") == "1" else ""
    values["signed"] = "1" if posted.values.get("signed") == "1" else ""
    number = re.sub(r"[\s.]", "", values["number"])
    fields: dict[str, Any] = {name: values[name] for name in TEXT_FIELDS if name != "number"}
    fields |= {
        "gln": number if len(number) == GLN_DIGITS else None,
        "rpps": number if len(number) == RPPS_DIGITS else None,
        "screening_access": bool(values["screening_access"]),
        "signed": bool(values["signed"]),
    }
    try:
        filled = RegistrationForm.model_validate(fields)
    except ValidationError as invalid:
        # GLN and RPPS are one field; the model's own check is that there is one number
        problems = _problems(values, invalid, number)
        if posted.copy is not None:
            problems["id_copy"] = "again"  # a browser does not keep a chosen file
        await posted.drop_rest()
        return _form(request, values, problems)
    if posted.copy is not None and (copy_problem := await posted.copy_problem(request.content_length)):
        await posted.drop_rest()
        return _form(request, values, {"id_copy": copy_problem})
    submission = RegistrationSubmission(
        form=filled, client_ip=client_ip(request), locale=request_locale(request), id_copy=posted.copy is not None
    )
    try:
        # A number that has an account gets the same answer (its owner is told by email).
        received = await call(bus_of(request), SUBMIT_REGISTRATION, submission)
    except TooManyRequests:
        await posted.drop_rest()
        return _form(request, values, {"form": "too_many"}, status=429)
    sent = f"/register/sent?reference={received.reference}"
    if received.id_copy_ticket is not None:
        kept = await send_copy(request, received.id_copy_ticket, posted)
        sent += "&copy=" + ("kept" if kept else "not_kept")
    await posted.drop_rest()
    return see_other(sent)


async def registration_sent(request: web.Request) -> web.Response:
    """GET /register/sent: the request's reference and what happens next."""
    reference = request.query.get("reference", "")
    settings = settings_of(request)
    booking = {
        "url": settings.identity_check_url,
        "phone": settings.identity_check_phone,
        "address": settings.identity_check_address,
    }
    copy = request.query.get("copy")
    context = {
        "reference": reference if _REFERENCE.fullmatch(reference) else None,
        "booking": booking,
        "copy": copy if copy in ("kept", "not_kept") else None,
    }
    return render_page(request, SENT, context)


def _problems(values: Mapping[str, str], invalid: ValidationError, number: str) -> dict[str, str]:
    """Each field's problem: "missing" for an empty one, "invalid" for one written wrong. The
    model checks that there is one number only once every field is right: a number of no known
    length is flagged here, with the other fields' problems, not on a later submit."""
    problems = field_problems(invalid, {"gln": "number", "rpps": "number"}, whole="number")
    if len(number) not in (GLN_DIGITS, RPPS_DIGITS):
        problems["number"] = "invalid"
    return {name: "missing" if not values.get(name) else problem for name, problem in problems.items()}


def _form(
    request: web.Request, values: Mapping[str, str], problems: Mapping[str, str], status: int = 400
) -> web.Response:
    return render_page(request, FORM, {"values": values, "problems": problems}, status=status)
