"""Administrators' pages for the secure applications (F4, F11): the catalogue, each application's
form, and the enrolments to grant or refuse."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import ValidationError

from common.bus import call
from common.contracts import applications as api
from common.contracts.base import Empty
from common.errors import Conflict, InvalidRequest, NotFound

from ..forms import field, field_problems
from ..pages import render_page, see_other
from ..sessions import current_token
from ..state import bus_of
from .confirmation import unconfirmed

FORM = "admin_application_form.html"
TEXT_FIELDS = ("slug", "name", "description", "url")
FLAGS = ("needs_enrolment", "active", "asked_at_registration")
_FIELD_MAX = 1000


async def _catalogue(request: web.Request) -> api.AdminCatalogue:
    return await call(bus_of(request), api.LIST_FOR_ADMIN, Empty(), token=current_token(request))


async def admin_page(request: web.Request) -> web.Response:
    """GET /admin/applications: the applications, the enrolments waiting, the latest decisions."""
    found = await _catalogue(request)
    waiting = [item for item in found.enrolments if item.state == "requested"]
    decided = [item for item in found.enrolments if item.state != "requested"]
    return render_page(
        request, "admin_applications.html", {"applications": found.applications, "waiting": waiting, "decided": decided}
    )


async def new_form(request: web.Request) -> web.Response:
    """GET /admin/applications/new: a new application's form."""
    blank = {name: "" for name in TEXT_FIELDS} | {flag: "" for flag in FLAGS}
    return _form(request, None, blank | {"active": "1"}, {}, status=200)


async def edit_form(request: web.Request) -> web.Response:
    """GET /admin/applications/{id}."""
    found = next((app for app in (await _catalogue(request)).applications if app.id == request.match_info["id"]), None)
    if found is None:
        raise NotFound()
    values = {name: getattr(found, name) for name in TEXT_FIELDS}
    values |= {flag: "1" if getattr(found, flag) else "" for flag in FLAGS}
    return _form(request, found.id, values, {}, status=200)


async def save(request: web.Request) -> web.Response:
    """POST /admin/applications (a new one) or /admin/applications/{id}."""
    app_id = request.match_info.get("id")
    posted = await request.post()
    values = {name: field(posted, name).strip()[:_FIELD_MAX] for name in TEXT_FIELDS}
    values |= {flag: "1" if field(posted, flag) == "1" else "" for flag in FLAGS}
    try:
        wanted = api.ApplicationSave(
            id=app_id,
            **{name: values[name] for name in TEXT_FIELDS},
            **{flag: bool(values[flag]) for flag in FLAGS},
        )
    except ValidationError as invalid:
        return _form(request, app_id, values, field_problems(invalid))
    try:
        await call(bus_of(request), api.SAVE_APPLICATION, wanted, token=current_token(request))
    except Conflict:
        return _form(request, app_id, values, {"slug": "taken"}, status=409)
    except InvalidRequest:
        return _form(request, app_id, values, {"url": "invalid"})
    return see_other("/admin/applications")


def _form(
    request: web.Request, app_id: str | None, values: dict[str, Any], problems: dict[str, str], status: int = 400
) -> web.Response:
    return render_page(request, FORM, {"app_id": app_id, "values": values, "problems": problems}, status=status)


def decide(grant: bool):  # type: ignore[no-untyped-def]
    async def handler(request: web.Request) -> web.Response:
        """POST /admin/applications/{id}/enrolments/{account}/grant or /refuse (once confirmed)."""
        if not grant and (asked := await unconfirmed(request, "refuse", "/admin/applications")):
            return asked
        wanted = api.Decision(
            application_id=request.match_info["id"],
            account_id=request.match_info["account"],
            grant=grant,
        )
        await call(bus_of(request), api.DECIDE_ENROLMENT, wanted, token=current_token(request))
        return see_other("/admin/applications")

    return handler
