"""The administrators' accounts page (F11): search, deactivate and reactivate, unlock."""

from __future__ import annotations

from aiohttp import web
from pydantic import ValidationError

from common.bus import call
from common.contracts import accounts as api
from common.contracts.base import SignedEndpoint
from common.errors import Conflict, Unauthenticated

from ..forms import field, field_problems
from ..pages import render_page, see_other
from ..query import ListQuery
from ..sessions import current_token
from ..state import bus_of
from .confirmation import unconfirmed
from .language import safe_local_path

ACCOUNT_ID = r"[0-9a-f-]{36}"
ROLES = ("physician", "validator", "admin", "service_staff")
STATUSES = ("pending", "active", "deactivated")
LIST = "/admin/accounts"


async def accounts_page(request: web.Request) -> web.Response:
    """GET /admin/accounts?text=&role=&status=&locked=&page=: the accounts that match."""
    query = ListQuery(request.query)
    wanted = api.AccountSearch(
        text=query.text("text", 100),
        role=query.choice("role", ROLES),
        status=query.choice("status", STATUSES),
        locked_only=query.flag("locked"),
        page=query.page(),
    )
    found = await call(bus_of(request), api.SEARCH_ACCOUNTS, wanted, token=current_token(request))
    context = {
        **query.listing("/admin/accounts", found.total, found.page, found.per_page),
        "accounts": found.items,
        "roles": ROLES,
        "statuses": STATUSES,
        "back": _without_problem(request),
        "problem": request.query.get("problem"),
    }
    return render_page(request, "admin_accounts.html", context)


def _without_problem(request: web.Request) -> str:
    query = {name: value for name, value in request.query.items() if name != "problem"}
    return str(request.rel_url.with_query(query))


async def deactivate(request: web.Request) -> web.Response:
    """Every session of the account ends: only once confirmed."""
    return await unconfirmed(request, "deactivate", LIST) or await _set_status(request, active=False)


async def reactivate(request: web.Request) -> web.Response:
    return await _set_status(request, active=True)


async def unlock(request: web.Request) -> web.Response:
    """POST /admin/accounts/{id}/unlock."""
    return await _on_account(request, api.UNLOCK_ACCOUNT)


async def reset_password(request: web.Request) -> web.Response:
    """POST /admin/accounts/{id}/reset-password: a temporary password goes by email, once confirmed."""
    return await unconfirmed(request, "reset-password", LIST) or await _on_account(request, api.RESET_PASSWORD)


async def reset_app(request: web.Request) -> web.Response:
    """POST /admin/accounts/{id}/reset-app: a staff member enrols a new authenticator app at the next
    login, once confirmed."""
    return await unconfirmed(request, "reset-app", LIST) or await _on_account(request, api.RESET_APP)


async def unlink_hin(request: web.Request) -> web.Response:
    """POST /admin/accounts/{id}/unlink-hin: the HIN identity no longer opens the account, once confirmed."""
    return await unconfirmed(request, "unlink-hin", LIST) or await _on_account(request, api.UNLINK_HIN)


async def _on_account(
    request: web.Request, endpoint: SignedEndpoint[api.AccountRef, api.AccountListing]
) -> web.Response:
    ref = api.AccountRef(id=request.match_info["id"])
    await call(bus_of(request), endpoint, ref, token=current_token(request))
    return see_other(await _back(request))


async def mobile_control(request: web.Request) -> web.Response:
    """POST /admin/accounts/{id}/mobile: a control SMS to the new number."""
    form = await request.post()
    number = form.get("mobile")
    try:
        wanted = api.MobileControl(
            id=request.match_info["id"],
            mobile=number if isinstance(number, str) else "",
        )
    except ValidationError:
        return see_other(_with_problem(await _back(request), "mobile"))
    await call(bus_of(request), api.SEND_MOBILE_CONTROL, wanted, token=current_token(request))
    return see_other(await _back(request))


async def mobile_confirm(request: web.Request) -> web.Response:
    """POST /admin/accounts/{id}/mobile/confirm: the code the physician reads back."""
    form = await request.post()
    code = form.get("code")
    wanted = api.MobileConfirmation(
        id=request.match_info["id"],
        code=(code if isinstance(code, str) else "")[:20] or "-",
    )
    try:
        await call(bus_of(request), api.CONFIRM_MOBILE, wanted, token=current_token(request))
    except Unauthenticated:
        return see_other(_with_problem(await _back(request), "code"))
    return see_other(await _back(request))


def _with_problem(path: str, problem: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}problem={problem}"


async def _set_status(request: web.Request, active: bool) -> web.Response:
    """POST /admin/accounts/{id}/deactivate or /reactivate."""
    wanted = api.AccountStatus(id=request.match_info["id"], active=active)
    try:
        await call(bus_of(request), api.SET_ACCOUNT_STATUS, wanted, token=current_token(request))
    except Conflict:
        return see_other("/admin/accounts?own=1")
    return see_other(await _back(request))


async def _back(request: web.Request) -> str:
    back = (await request.post()).get("next")
    return (safe_local_path(back) if isinstance(back, str) else None) or "/admin/accounts"


STAFF_FORM = "admin_staff_form.html"
STAFF_FIELDS = ("login", "role", "family_name", "given_name", "email", "mobile")
STAFF_ROLES = ("validator", "admin", "service_staff")
_STAFF_FIELD_MAX = 254


async def new_staff_form(request: web.Request) -> web.Response:
    """GET /admin/accounts/new: a hospital staff member's login."""
    return _staff_form(request, {"role": "validator"}, {}, status=200)


async def create_staff(request: web.Request) -> web.Response:
    """POST /admin/accounts/new: identity creates the login and emails its temporary password."""
    posted = await request.post()
    values = {name: field(posted, name).strip() for name in STAFF_FIELDS}
    if any(len(value) > _STAFF_FIELD_MAX for value in values.values()):  # refused whole, never cut
        return _staff_form(
            request, {}, {name: "invalid" for name, value in values.items() if len(value) > _STAFF_FIELD_MAX}
        )
    try:
        wanted = api.StaffCreation(**values)
    except ValidationError as invalid:
        return _staff_form(request, values, field_problems(invalid))
    try:
        created = await call(bus_of(request), api.CREATE_STAFF, wanted, token=current_token(request))
    except Conflict:
        return _staff_form(request, values, {"login": "taken"}, status=409)
    return see_other(f"/admin/accounts?text={created.login}")


def _staff_form(
    request: web.Request, values: dict[str, str], problems: dict[str, str], status: int = 400
) -> web.Response:
    return render_page(
        request, STAFF_FORM, {"values": values, "problems": problems, "roles": STAFF_ROLES}, status=status
    )
