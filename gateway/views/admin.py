"""Administration (F11): the documents that reached no physician, and why (metadata, never contents)."""

from __future__ import annotations

from aiohttp import web

from common.bus import call
from common.contracts.documents import LIST_UNDELIVERED, ListUndelivered

from ..i18n import request_locale
from ..labels import REASONS
from ..pages import render_page
from ..query import ListQuery
from ..sessions import current_token
from ..state import bus_of

PER_PAGE = 50
SERVICE_MAX = 200


async def undelivered(request: web.Request) -> web.Response:
    """GET /admin/undelivered: one page of undelivered documents, filtered by reason, service, period."""
    query = ListQuery(request.query, request_locale(request))
    wanted = ListUndelivered(
        page=query.page(),
        per_page=PER_PAGE,
        reason=query.choice("reason", REASONS),
        service=query.text("service", SERVICE_MAX),
        recorded_from=query.day("from"),
        recorded_to=query.day("to"),
    )
    found = await call(bus_of(request), LIST_UNDELIVERED, wanted, token=current_token(request))
    return render_page(
        request,
        "admin_undelivered.html",
        {
            **query.listing("/admin/undelivered", found.total, wanted.page, found.per_page),
            "items": found.items,
            "services": found.services,
            "reasons": REASONS,
        },
        status=query.status,
    )
