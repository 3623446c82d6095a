"""The portal's cookies all share one shape: unreadable by scripts, first-party, whole site, and
under https `__Host-` (Secure, host-only, Path=/: no sibling domain can plant one, such as a CSRF
value whose form token the attacker knows, or a login attempt of theirs).

Set, delete and read them by their plain names through the three functions here: they add the
prefix where it applies.
"""

from __future__ import annotations

from aiohttp import web

from .config import GatewaySettings
from .state import settings_of

SESSION = "portal_session"
LOGIN_CHALLENGE = "portal_login"
CSRF = "portal_csrf"
STEP_UP = "portal_step_up"  # a change of credentials waiting for its SMS code
LANGUAGE = "portal_lang"
HIN_ATTEMPT = "portal_hin"  # the secret binding a HIN login attempt to this browser
UNLOCK_CHALLENGE = "portal_unlock"  # an unlocking by SMS waiting for its code
RECOVERY_LINK = "portal_recovery"  # the token of a recovery link, from the email (F5.6)
RECOVERY_CHALLENGE = "portal_recovery_code"  # a new password waiting for its SMS code
DEVICE = "portal_device"  # the device token of a browser that logged in before (its failures are its own)
ASKED_PAGE = "portal_next"  # the page asked for before logging in, waiting for the session (asked_page.py)
FLASH = "portal_flash"  # a notice the next page shows once (flash.py)
DEVICE_MAX_AGE = 180 * 24 * 3600
"""A browser stays known for its login name this long after its last login."""

HOST_PREFIX = "__Host-"


def host_only(settings: GatewaySettings, name: str) -> str:
    """The name the browser holds: `__Host-` makes browsers refuse the cookie unless Secure,
    host-only and Path=/; it needs https. A name given with its prefix keeps it."""
    return f"{HOST_PREFIX}{name}" if settings.https and not name.startswith(HOST_PREFIX) else name


def session_cookie_name(settings: GatewaySettings) -> str:
    return host_only(settings, SESSION)


def private_cookie(request: web.Request, name: str) -> str:
    """The value of a cookie set by `set_private_cookie`; "" if the browser sent none."""
    return request.cookies.get(host_only(settings_of(request), name), "")


def set_private_cookie(
    response: web.StreamResponse, settings: GatewaySettings, name: str, value: str, max_age: int | None = None
) -> None:
    """Set an HttpOnly, SameSite=Lax, Path=/ cookie; Secure and `__Host-` when the portal is served over https."""
    response.set_cookie(
        host_only(settings, name),
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=settings.https or None,
    )


def delete_private_cookie(response: web.StreamResponse, settings: GatewaySettings, name: str) -> None:
    """Expire a cookie set by `set_private_cookie` (same attributes, or `__Host-` ones are ignored)."""
    response.del_cookie(
        host_only(settings, name), path="/", httponly=True, samesite="Lax", secure=settings.https or None
    )
