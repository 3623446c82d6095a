"""The notification log (F10): the emails and SMS the portal sent, when, to which address, never
their content. A physician reads theirs (from Mon profil); administrators search everyone's by
account, kind and date."""

from __future__ import annotations

from typing import get_args

from aiohttp import web

from common.bus import call
from common.contracts import notifications as api

from ..i18n import request_locale
from ..pages import render_page
from ..query import ListQuery
from ..sessions import current_token
from ..state import bus_of

PER_PAGE = 50
CATEGORIES: tuple[str, ...] = get_args(api.Category)
ACCOUNT_MAX = 254


async def my_notifications(request: web.Request) -> web.Response:
    """GET /profile/notifications?page=: the caller's own, the latest first."""
    query = ListQuery(request.query)
    wanted = api.NotificationQuery(page=query.page(), per_page=PER_PAGE)
    found = await call(bus_of(request), api.MY_NOTIFICATIONS, wanted, token=current_token(request))
    return _page(request, query, "/profile/notifications", found, admin=False)


async def search_notifications(request: web.Request) -> web.Response:
    """GET /admin/notifications?account=&category=&from=&to=&page=: everyone's, filtered."""
    query = ListQuery(request.query, request_locale(request))
    wanted = api.NotificationSearch(
        page=query.page(),
        per_page=PER_PAGE,
        account=query.text("account", ACCOUNT_MAX),
        category=query.choice("category", CATEGORIES),
        sent_from=query.day("from"),
        sent_to=query.day("to"),
    )
    found = await call(bus_of(request), api.SEARCH_NOTIFICATIONS, wanted, token=current_token(request))
    return _page(request, query, "/admin/notifications", found, admin=True)


def _page(request: web.Request, query: ListQuery, path: str, found: api.NotificationLog, admin: bool) -> web.Response:
    context = {
        **query.listing(path, found.total, found.page, found.per_page),
        "items": found.items,
        "categories": CATEGORIES,
        "admin": admin,
    }
    return render_page(request, "notifications.html", context, status=query.status)
