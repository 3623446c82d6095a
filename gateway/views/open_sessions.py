"""The physician's open sessions (where and since when), and ending one of the others."""

from __future__ import annotations

from aiohttp import web

from common.bus import call
from common.contracts.base import Empty
from common.contracts.identity import END_OTHER_SESSION, LIST_SESSIONS, OtherSession

from ..pages import render_page, see_other
from ..sessions import current_token
from ..state import bus_of

# The shape of a session id in a URL (identity's ids are UUIDs); routes.py uses it.
SESSION_ID = r"[0-9a-f-]{36}"


async def sessions_page(request: web.Request) -> web.Response:
    """GET /profile/sessions: every open session of the account, this one marked."""
    found = await call(bus_of(request), LIST_SESSIONS, Empty(), token=current_token(request))
    return render_page(
        request, "open_sessions.html", {"sessions": found.items, "ended": request.query.get("ended") == "1"}
    )


async def end_session(request: web.Request) -> web.Response:
    """POST /profile/sessions/{id}/end: end another session of the account."""
    wanted = OtherSession(id=request.match_info["id"])
    await call(bus_of(request), END_OTHER_SESSION, wanted, token=current_token(request))
    return see_other("/profile/sessions?ended=1")
