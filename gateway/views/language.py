"""The language switch in every page's header."""

from __future__ import annotations

from aiohttp import web

from ..cookies import LANGUAGE, set_private_cookie
from ..i18n import switch_choice
from ..pages import see_other
from ..state import settings_of

ONE_YEAR = 365 * 24 * 3600


async def switch_language(request: web.Request) -> web.Response:
    """GET /lang/{locale}?next=/path: remember the language, go back to the page."""
    response = see_other(local_path(request.query.get("next", "/")))
    choice = switch_choice(request, request.match_info["locale"])
    set_private_cookie(response, settings_of(request), LANGUAGE, choice, max_age=ONE_YEAR)
    return response


def local_path(target: str) -> str:
    """`target` if it is a path on this site, else '/': the switch must not redirect elsewhere."""
    return safe_local_path(target) or "/"


def safe_local_path(target: str) -> str | None:
    """`target` if it is a path on this site, else None: a form's `next` must not lead elsewhere."""
    # "//host" and "/\host" are other sites to browsers, which also drop tabs and newlines.
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ord(char) < 0x20 or ord(char) == 0x7F or char == "\\" for char in target):
        return None
    return target
