"""The physician's open sessions (where and since when), and ending one of the others."""

from __future__ import annotations

from aiohttp import web

from common.bus import call
from common.contracts.base import Empty
from common.contracts.identity import END_OTHER_SESSION, END_OTHER_SESSIONS, LIST_SESSIONS, OtherSession

from ..labels import SESSION_METHODS
from ..pages import render_page, see_other
from ..sessions import current_token
from ..state import bus_of

# The shape of a session id in a URL (identity's ids are UUIDs); routes.py uses it.
SESSION_ID = r"[0-9a-f-]{36}"


async def sessions_page(request: web.Request) -> web.Response:
    """GET /profile/sessions: every open session of the account (its browser and system, how it
    was opened, its address), this one marked; ?confirm=others asks before ending all the others."""
    found = await call(bus_of(request), LIST_SESSIONS, Empty(), token=current_token(request))
    context = {
        "sessions": found.items,
        "ended": request.query.get("ended"),
        "confirm_others": request.query.get("confirm") == "others",
        "methods": SESSION_METHODS,
    }
    return render_page(request, "open_sessions.html", context)


async def end_session(request: web.Request) -> web.Response:
    """POST /profile/sessions/{id}/end: end another session of the account."""
    wanted = OtherSession(id=request.match_info["id"])
    await call(bus_of(request), END_OTHER_SESSION, wanted, token=current_token(request))
    return see_other("/profile/sessions?ended=1")


async def end_other_sessions(request: web.Request) -> web.Response:
    """POST /profile/sessions/end-others (after its confirmation): end every other session of the account."""
    await call(bus_of(request), END_OTHER_SESSIONS, Empty(), token=current_token(request))
    return see_other("/profile/sessions?ended=others")
