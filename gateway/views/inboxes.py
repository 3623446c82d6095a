"""The services' inboxes for their staff (F3.4): a member's services and their boxes, a request
with its thread, and what a member does with it: take it, answer it or ask the physician for
more, close it. The requests service decides who may: a member of the request's service."""

from __future__ import annotations

from aiohttp import web
from pydantic import ValidationError

from common.bus import call
from common.contracts import requests as api
from common.errors import InvalidRequest

from ..forms import field
from ..i18n import request_locale
from ..pages import render_page, see_other
from ..request_forms import form_fields
from ..sessions import current_token
from ..state import bus_of

BOXES: tuple[api.Box, ...] = ("new", "mine", "waiting", "closed")
STEPS = "take|close"


async def inbox_page(request: web.Request) -> web.Response:
    """GET /inbox?service=…&box=…: one box of one of the member's services (the first by default)."""
    bus, token = bus_of(request), current_token(request)
    services = (await call(bus, api.MY_SERVICES, api.ListServices(), token=token)).services
    box = request.query.get("box", "new")
    code = request.query.get("service") or (services[0].code if services else "")
    if box not in BOXES or (services and code not in {service.code for service in services}):
        raise web.HTTPNotFound()
    items = []
    if services:
        query = api.InboxQuery(service=code, box=box)
        items = (await call(bus, api.INBOX, query, token=token)).items
    context = {"services": services, "service": code, "box": box, "boxes": BOXES, "items": items}
    return render_page(request, "inbox.html", context)


async def request_page(request: web.Request) -> web.Response:
    """GET /inbox/requests/{id}: the request, its thread, and what the member may do."""
    ref = api.RequestRef(id=request.match_info["id"])
    found = await call(bus_of(request), api.OPEN_FOR_STAFF, ref, token=current_token(request))
    return _page(request, found, {})


def _page(request: web.Request, found: api.RequestDetail, problems: dict[str, str], status: int = 200) -> web.Response:
    context = {"item": found, "fields": form_fields(found.kind, request_locale(request)), "problems": problems}
    return render_page(request, "inbox_request.html", context, status=status)


async def step(request: web.Request) -> web.Response:
    """POST /inbox/requests/{id}/take or /close."""
    wanted = api.StaffStep(id=request.match_info["id"], step=request.match_info["step"])
    await call(bus_of(request), api.STAFF_STEP, wanted, token=current_token(request))
    return see_other(f"/inbox/requests/{wanted.id}")


async def answer(request: web.Request) -> web.Response:
    """POST /inbox/requests/{id}/answer: an answer, or a question to the physician."""
    posted = await request.post()
    request_id = request.match_info["id"]
    bus, token = bus_of(request), current_token(request)
    try:
        wanted = api.StaffAnswer(
            id=request_id, text=field(posted, "text").strip(), needs_reply=field(posted, "needs_reply") == "1"
        )
        await call(bus, api.STAFF_ANSWER, wanted, token=token)
    except (ValidationError, InvalidRequest):
        found = await call(bus, api.OPEN_FOR_STAFF, api.RequestRef(id=request_id), token=token)
        return _page(request, found, {"text": "invalid"}, status=400)
    return see_other(f"/inbox/requests/{request_id}")
