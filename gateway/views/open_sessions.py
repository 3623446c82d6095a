"""The physician's open sessions (where and since when), and ending one of the others."""

from __future__ import annotations

from aiohttp import web

from common.bus import call
from common.contracts.identity import SESSIONS_END_ONE, SESSIONS_LIST, Empty, EndOneSession, OpenSessions, SessionRef

from ..pages import render_page, see_other
from ..state import bus_of
from .credentials import current_handle

# The shape of a session id in a URL (identity's ids are UUIDs); routes.py uses it.
SESSION_ID = r"[0-9a-f-]{36}"


async def sessions_page(request: web.Request) -> web.Response:
    """GET /profile/sessions: every open session of the account, this one marked."""
    found = await call(bus_of(request), SESSIONS_LIST, SessionRef(session=current_handle(request)), OpenSessions)
    return render_page(
        request, "open_sessions.html", {"sessions": found.items, "ended": request.query.get("ended") == "1"}
    )


async def end_session(request: web.Request) -> web.Response:
    """POST /profile/sessions/{id}/end: end another session of the account."""
    wanted = EndOneSession(session=current_handle(request), id=request.match_info["id"])
    await call(bus_of(request), SESSIONS_END_ONE, wanted, Empty)
    return see_other("/profile/sessions?ended=1")
