"""The services' inboxes for their staff (F3.4): a member's services and their boxes, a request
with its thread, and what a member does with it: take it, answer it or ask the physician for
more, close it. The requests service decides who may: a member of the request's service."""

from __future__ import annotations

from aiohttp import web
from pydantic import ValidationError

from common.bus import call
from common.contracts import requests as api
from common.errors import InvalidRequest

from ..pages import render_page, see_other
from ..query import ListQuery
from ..sessions import current_token
from ..state import bus_of
from ..uploads import posted_form
from .requests import SERVICE_CODE_MAX, thread_page

BOXES: tuple[api.Box, ...] = ("new", "mine", "waiting", "closed")
PER_PAGE = 25
STEPS = "take|close"
TEMPLATE = "inbox_request.html"


async def inbox_page(request: web.Request) -> web.Response:
    """GET /inbox?service=…&box=…&page=…: a page of one box of one of the member's services (the
    first by default), and the member's services to choose from."""
    query = ListQuery(request.query)
    page = query.page()
    box = request.query.get("box", "new")
    code = query.text("service", SERVICE_CODE_MAX)  # kept in the pagination's links, with the box
    if box not in BOXES:
        raise web.HTTPNotFound()
    query.choice("box", BOXES)
    wanted = api.InboxQuery(service=code, box=box, page=page, per_page=PER_PAGE)
    found = await call(bus_of(request), api.INBOX, wanted, token=current_token(request))
    context = {"services": found.services, "service": found.service, "box": box, "boxes": BOXES, "items": found.items}
    if found.services:
        context |= query.listing("/inbox", found.total, page, found.per_page)
    return render_page(request, "inbox.html", context)


async def request_page(request: web.Request) -> web.Response:
    """GET /inbox/requests/{id}: the request, its thread, and what the member may do."""
    ref = api.RequestRef(id=request.match_info["id"])
    found = await call(bus_of(request), api.OPEN_FOR_STAFF, ref, token=current_token(request))
    return await thread_page(request, TEMPLATE, found, {})


async def step(request: web.Request) -> web.Response:
    """POST /inbox/requests/{id}/take or /close."""
    wanted = api.StaffStep(id=request.match_info["id"], step=request.match_info["step"])
    await call(bus_of(request), api.STAFF_STEP, wanted, token=current_token(request))
    return see_other(f"/inbox/requests/{wanted.id}")


async def answer(request: web.Request) -> web.Response:
    """POST /inbox/requests/{id}/answer: an answer, or a question to the physician, with its files."""
    posted = await posted_form(request)
    request_id = request.match_info["id"]
    bus, token = bus_of(request), current_token(request)
    problems = posted.problems()
    try:
        wanted = api.StaffAnswer(
            id=request_id,
            text=posted.text("text").strip(),
            needs_reply=posted.text("needs_reply") == "1",
            attachments=posted.kept() + [taken.id for taken in posted.files],
        )
        if not problems:
            await call(bus, api.STAFF_ANSWER, wanted, token=token)
    except (ValidationError, InvalidRequest):
        problems = {"text": "invalid"}
    if problems:
        found = await call(bus, api.OPEN_FOR_STAFF, api.RequestRef(id=request_id), token=token)
        return await thread_page(request, TEMPLATE, found, problems, status=400, posted=posted)
    return see_other(f"/inbox/requests/{request_id}")
