"""Administrators' pages for the directory of the hospital's services that receive requests
(F3.3): the hospital publishes it (`dpi.services`), administrators complete and correct it; the
latest change wins, whoever made it."""

from __future__ import annotations

from typing import Any, get_args

from aiohttp import web
from pydantic import ValidationError

from common.bus import call
from common.contracts import accounts
from common.contracts import requests as api
from common.contracts.hospital_requests import RequestKind
from common.errors import Conflict, NotFound

from ..forms import field, field_problems
from ..pages import render_page, see_other
from ..sessions import current_token
from ..state import bus_of

SERVICE_CODE = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
FORM = "admin_service_form.html"
KINDS: tuple[str, ...] = get_args(RequestKind)
_FIELD_MAX = 4000


async def _services(request: web.Request) -> list[api.ServiceSummary]:
    listed = await call(
        bus_of(request), api.LIST_SERVICES, api.ListServices(include_inactive=True), token=current_token(request)
    )
    return listed.services


async def services_page(request: web.Request) -> web.Response:
    """GET /admin/services?status=active|hidden: every service, the inactive ones included, or
    those of one status (the page's tabs)."""
    status = request.query.get("status")
    wanted = {"active": True, "hidden": False}.get(status or "")
    services = [item for item in await _services(request) if wanted is None or item.active == wanted]
    return render_page(
        request, "admin_services.html", {"services": services, "status": status if wanted is not None else None}
    )


async def new_form(request: web.Request) -> web.Response:
    """GET /admin/services/new."""
    blank = {"code": "", "name": "", "domain": "adults", "boards": "", "active": "1"}
    return _form(request, None, blank | {kind: "" for kind in KINDS}, {}, status=200)


async def edit_form(request: web.Request) -> web.Response:
    """GET /admin/services/{id}."""
    code = request.match_info["id"]
    found = next((service for service in await _services(request) if service.code == code), None)
    if found is None:
        raise NotFound()
    values: dict[str, Any] = {"code": found.code, "name": found.name, "domain": found.domain}
    values |= {kind: "1" if kind in found.accepts else "" for kind in KINDS}
    values |= {"boards": "\n".join(f"{board.code} | {board.name}" for board in found.boards)}
    values |= {"active": "1" if found.active else ""}
    return _form(request, found.code, values, {}, status=200, members=await _staff_of(request, found.code))


async def _staff_of(request: web.Request, code: str) -> list[tuple[accounts.AccountListing, bool]]:
    """Every active service staff account, and whether it works this service's inbox."""
    bus, token = bus_of(request), current_token(request)
    members = await call(bus, api.GET_MEMBERS, api.ServiceRef(code=code), token=token)
    search = accounts.AccountSearch(role="service_staff", status="active", per_page=200)
    staff = await call(bus, accounts.SEARCH_ACCOUNTS, search, token=token)
    return [(account, account.id in members.account_ids) for account in staff.items]


async def save_members(request: web.Request) -> web.Response:
    """POST /admin/services/{id}/members: the checked staff accounts work this service's inbox."""
    posted = await request.post()
    chosen = [value for value in posted.getall("member", []) if isinstance(value, str)]
    try:
        wanted = api.ServiceMembers(code=request.match_info["id"], account_ids=chosen)
    except ValidationError:
        raise web.HTTPBadRequest() from None
    await call(bus_of(request), api.SET_MEMBERS, wanted, token=current_token(request))
    return see_other(f"/admin/services/{wanted.code}")


async def save(request: web.Request) -> web.Response:
    """POST /admin/services (a new one) or /admin/services/{id}."""
    code = request.match_info.get("id")
    posted = await request.post()
    values: dict[str, Any] = {name: field(posted, name).strip()[:_FIELD_MAX] for name in ("code", "name", "domain")}
    values |= {flag: "1" if field(posted, flag) == "1" else "" for flag in (*KINDS, "active")}
    values["boards"] = field(posted, "boards")[:_FIELD_MAX]
    if code is not None:
        values["code"] = code  # a service's code names it: it does not change
    try:
        wanted = api.ServiceSave(
            code=values["code"],
            name=values["name"],
            domain=values["domain"],
            accepts=[kind for kind in KINDS if values[kind]],
            boards=_boards(values["boards"]),
            active=bool(values["active"]),
        )
    except (ValidationError, ValueError) as invalid:
        problems = field_problems(invalid) if isinstance(invalid, ValidationError) else {"boards": "invalid"}
        return _form(request, code, values, problems)
    try:
        await call(bus_of(request), api.SAVE_SERVICE, wanted, token=current_token(request))
    except Conflict:
        return _form(request, code, values, {"form": "later"}, status=409)
    return see_other("/admin/services")


def _boards(text: str) -> list[dict[str, str]]:
    """One board a line, `code | name`; blank lines ignored (ValueError for a line without both)."""
    boards = []
    for line in text.splitlines():
        if not line.strip():
            continue
        board_code, bar, name = line.partition("|")
        if not bar or not board_code.strip() or not name.strip():
            raise ValueError("a board line is `code | name`")
        boards.append({"code": board_code.strip(), "name": name.strip()})
    return boards


def _form(
    request: web.Request,
    code: str | None,
    values: dict[str, Any],
    problems: dict[str, str],
    status: int = 400,
    members: list[tuple[accounts.AccountListing, bool]] | None = None,
) -> web.Response:
    context = {"code": code, "values": values, "problems": problems, "kinds": KINDS, "members": members}
    return render_page(request, FORM, context, status=status)
