"""The physician directory (F7) for hospital staff: by name, specialty, GLN or RPPS."""

from __future__ import annotations

from aiohttp import web

from common.bus import call
from common.contracts.identity import SEARCH_DIRECTORY, DirectorySearch
from common.contracts.specialties import SPECIALTIES

from ..pages import render_page
from ..query import ListQuery
from ..sessions import current_token
from ..state import bus_of


async def directory_page(request: web.Request) -> web.Response:
    """GET /directory?text=&specialty=: at most 25 physicians, with a hint when more match."""
    query = ListQuery(request.query)
    text = query.text("text", 100)
    specialty = query.choice("specialty", SPECIALTIES)
    found = None
    if (text and len(text) >= 2) or specialty:
        wanted = DirectorySearch(text=text if text and len(text) >= 2 else None, specialty=specialty)
        found = await call(bus_of(request), SEARCH_DIRECTORY, wanted, token=current_token(request))
    return render_page(request, "directory.html", {"values": query.values, "specialties": SPECIALTIES, "found": found})
