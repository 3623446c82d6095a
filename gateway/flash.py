"""A notice shown once, on the next page (role=status): the profile saved, the previous login
after a login. It waits in a short-lived cookie set with the redirect; the page that shows it
deletes it. Its value is only ever read as one of the known notices: anything else shows nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web

from .cookies import FLASH, delete_private_cookie, private_cookie, set_private_cookie
from .locale_formats import DISPLAY_TIMEZONE
from .state import settings_of

PROFILE_SAVED = "profile_saved"
_LAST_LOGIN = "last_login:"
MAX_AGE = 60


@dataclass(frozen=True)
class Notice:
    kind: str  # PROFILE_SAVED or "last_login"
    at: datetime | None = None  # last_login: the moment, in the portal's time zone


def leave(request: web.Request, response: web.StreamResponse, value: str) -> None:
    """The next page shows this notice (PROFILE_SAVED, or `last_login(moment)`)."""
    set_private_cookie(response, settings_of(request), FLASH, value, max_age=MAX_AGE)


def last_login(moment: datetime) -> str:
    """The notice of the previous login, at `moment`."""
    return f"{_LAST_LOGIN}{int(moment.timestamp())}"


def waiting(request: web.Request) -> Notice | None:
    """The notice this page shows, if one waits."""
    value = private_cookie(request, FLASH)
    if value == PROFILE_SAVED:
        return Notice(PROFILE_SAVED)
    seconds = value.removeprefix(_LAST_LOGIN)
    if value.startswith(_LAST_LOGIN) and seconds.isdigit() and len(seconds) <= 12:
        return Notice("last_login", datetime.fromtimestamp(int(seconds), UTC).astimezone(DISPLAY_TIMEZONE))
    return None


def shown(request: web.Request, response: web.StreamResponse) -> None:
    """The page showed the notice (or there was none worth showing): it is forgotten."""
    if private_cookie(request, FLASH):
        delete_private_cookie(response, settings_of(request), FLASH)
