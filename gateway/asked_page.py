"""The page someone asked for before logging in (a link in an email, a bookmark), kept through the
login so that they land on it: the login form carries it (`?next=`, then a hidden field), and
from the form's success to the session's opening it waits in a cookie that lasts as long as the
attempt (the SMS code, or the trip to HIN and back).

Only a path on this site is kept: an absolute URL, `//host`, a backslash or a control character
(which browsers drop or read as another site) is refused, and so are the login pages themselves.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urlencode

from aiohttp import web

from .cookies import ASKED_PAGE, delete_private_cookie, private_cookie, set_private_cookie
from .state import settings_of
from .views.language import safe_local_path

FIELD = "next"
ENDED = "ended"
ENDED_REASONS = ("idle", "closed")
MAX_LENGTH = 2048


def asked_page(value: str) -> str | None:
    """`value` if it is a page of this site to land on after login, else None."""
    if not value or len(value) > MAX_LENGTH:
        return None
    path = safe_local_path(value)
    if path is None or path == "/" or path.startswith(("/login", "/logout")):
        return None
    return path


def login_url(request: web.Request, ended: str = "") -> str:
    """The login form, asked to lead back to the page of this request (if one to land on), and to
    say why the session ended (`ended`: "idle" or "closed"; "" says nothing)."""
    wanted = asked_page(request.path_qs) if request.match_info.route.resource is not None else None
    query = {**({ENDED: ended} if ended else {}), **({FIELD: wanted} if wanted else {})}
    return "/login" + (f"?{urlencode(query)}" if query else "")


def keep_asked_page(request: web.Request, response: web.StreamResponse, value: str, max_age: int) -> None:
    """At a login form's success: the page asked for waits for the session (none asked: forgotten)."""
    wanted = asked_page(value)
    if wanted is None:
        if private_cookie(request, ASKED_PAGE):  # an earlier attempt's
            delete_private_cookie(response, settings_of(request), ASKED_PAGE)
    else:
        # quoted: a cookie's value holds no `;`, `,`, space or quote
        set_private_cookie(response, settings_of(request), ASKED_PAGE, quote(wanted, safe=""), max_age=max_age)


def take_asked_page(request: web.Request, response: web.StreamResponse) -> str | None:
    """At the session's opening: the page asked for (checked again), forgotten from now on."""
    kept = private_cookie(request, ASKED_PAGE)
    if not kept:
        return None
    delete_private_cookie(response, settings_of(request), ASKED_PAGE)
    return asked_page(unquote(kept))
