"""The portal's cookies all share one shape: unreadable by scripts, first-party, whole site."""

from __future__ import annotations

from aiohttp import web

from .config import GatewaySettings

LOGIN_CHALLENGE = "portal_login"
CSRF = "portal_csrf"
STEP_UP = "portal_step_up"  # a change of credentials waiting for its SMS code
LANGUAGE = "portal_lang"
HIN_ATTEMPT = "portal_hin"  # the secret binding a HIN login attempt to this browser
UNLOCK_CHALLENGE = "portal_unlock"  # an unlocking by SMS waiting for its code
DEVICE_MAX_AGE = 180 * 24 * 3600
"""A browser stays known for its login name this long after its last login."""


def host_only(settings: GatewaySettings, name: str) -> str:
    """`__Host-` makes browsers refuse the cookie unless Secure, host-only and Path=/ (no sibling
    domain can plant it); it needs https."""
    return f"__Host-{name}" if settings.https else name


def session_cookie_name(settings: GatewaySettings) -> str:
    return host_only(settings, "portal_session")


def device_cookie_name(settings: GatewaySettings) -> str:
    """The device token of a browser that logged in before (its failures are its own)."""
    return host_only(settings, "portal_device")


def set_private_cookie(
    response: web.StreamResponse, settings: GatewaySettings, name: str, value: str, max_age: int | None = None
) -> None:
    """Set an HttpOnly, SameSite=Lax, Path=/ cookie, Secure when the portal is served over https."""
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="Lax", secure=settings.https or None
    )


def delete_private_cookie(response: web.StreamResponse, settings: GatewaySettings, name: str) -> None:
    """Expire a cookie set by `set_private_cookie` (same attributes, or `__Host-` ones are ignored)."""
    response.del_cookie(name, path="/", httponly=True, samesite="Lax", secure=settings.https or None)
