"""Who may use each route of the pages: one table, enforced before any view runs.

Every route of `routes.py` has its entry in `AUDIENCES`, by method and pattern; a route without
one stops the gateway at start-up (`route_audiences`). The sessions middleware reads the entry of
the route a request matched: a public route resolves no session (but the help page's, for EVERYONE,
resolves a live one the browser holds, and needs none); any other needs a live session
(else the login form, or 401 for a form sent), whose account has one of the entry's roles (else
403, before the view reads a byte of the form).

The refusal is 403, not 404: it depends only on the route's pattern and the role, never on an id
or on data, so it tells no one anything the navigation and the code do not. What must stay
hidden is whether an object exists: a document, a request or an account that is not yours is the
services' 404, the same as a missing one. The services check every call again for themselves:
this table is in addition to their checks, never instead of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal, get_args

from aiohttp import web
from aiohttp.web_urldispatcher import AbstractRoute

from common.contracts.base import Role

FirstStep = Literal["temporary_password", "profile"]
"""What a new account does before anything else: choose its own password, then (a physician)
confirm the profile."""

FIRST_STEP_PAGES: dict[FirstStep, str] = {
    "temporary_password": "/profile/password?first=1",
    "profile": "/profile?first=1",
}


@dataclass(frozen=True)
class Audience:
    """Who may use a route: `roles` (None: anyone, no session needed), and during which first steps."""

    roles: frozenset[Role] | None
    first_steps: frozenset[FirstStep] = frozenset()
    session_if_any: bool = False  # public, and a live session is resolved: the page is its account's

    @property
    def public(self) -> bool:
        return self.roles is None

    def admits(self, role: Role) -> bool:
        return self.roles is None or role in self.roles

    def also_during(self, *steps: FirstStep) -> Audience:
        """The same audience, reachable while the account still has `steps` to go through."""
        return replace(self, first_steps=frozenset(steps))


PUBLIC = Audience(None)
EVERYONE = Audience(None, session_if_any=True)
"""Anyone, logged in or not, whatever first step is due (the help page): a live session is
resolved, so that the page shows its account; a dead one, or none, is the anonymous."""
SIGNED_IN = Audience(frozenset(get_args(Role)))
PHYSICIANS = Audience(frozenset({"physician"}))
VALIDATORS = Audience(frozenset({"validator", "admin"}))  # the identity check of registration requests
ADMINISTRATORS = Audience(frozenset({"admin"}))
HOSPITAL_STAFF = Audience(frozenset({"validator", "admin", "service_staff"}))
SERVICE_STAFF = Audience(frozenset({"service_staff"}))  # the members of the hospital's services
REQUEST_PARTIES = Audience(frozenset({"physician", "service_staff"}))  # a request's physician, its service's members

UNROUTED = SIGNED_IN
"""An address no route answers: a session first, so that the anonymous never learn what exists."""

_PASSWORD = SIGNED_IN.also_during("temporary_password", "profile")
_SECURITY = SIGNED_IN.also_during("profile")

AUDIENCES: dict[str, Audience] = {
    "GET /": SIGNED_IN,  # each role's landing page
    "GET /login": PUBLIC,
    "POST /login": PUBLIC,
    "GET /login/code": PUBLIC,
    "POST /login/code": PUBLIC,
    "POST /login/code/resend": PUBLIC,
    "GET /login/unlock": PUBLIC,  # the owner of a blocked login name unlocks it by SMS
    "POST /login/unlock": PUBLIC,
    "GET /login/unlock/code": PUBLIC,
    "POST /login/unlock/code": PUBLIC,
    "POST /login/hin": PUBLIC,
    "GET /login/hin/callback": PUBLIC,
    "POST /logout": PUBLIC,  # a dead session still logs out cleanly
    "GET /register": PUBLIC,
    "POST /register": PUBLIC,
    "GET /register/sent": PUBLIC,
    "GET /help": EVERYONE,  # F8: reachable from every page, logged in or not
    "POST /help/contact": EVERYONE,
    "GET /legal": EVERYONE,  # the footer's legal notice and privacy policy, on every page
    "GET /privacy": EVERYONE,
    "GET /login/forgot": PUBLIC,  # F5.6: a forgotten password, renewed with a link by email and an SMS code
    "POST /login/forgot": PUBLIC,
    "GET /login/forgot/sent": PUBLIC,
    "GET /login/recover": PUBLIC,
    "POST /login/recover": PUBLIC,
    "GET /login/recover/code": PUBLIC,
    "POST /login/recover/code": PUBLIC,
    "GET /profile": PHYSICIANS.also_during("profile"),
    "POST /profile": PHYSICIANS.also_during("profile"),
    "GET /profile/password": _PASSWORD,
    "POST /profile/password": _PASSWORD,
    "GET /profile/password/code": _PASSWORD,
    "POST /profile/password/code": _PASSWORD,
    "GET /profile/mobile": _SECURITY,
    "POST /profile/mobile": _SECURITY,
    "GET /profile/mobile/code": _SECURITY,
    "POST /profile/mobile/code": _SECURITY,
    "GET /profile/sessions": _SECURITY,
    "GET /profile/notifications": PHYSICIANS,  # the emails and SMS sent to them (F10)
    "POST /profile/sessions/{id}/end": _SECURITY,
    "POST /profile/sessions/end-others": _SECURITY,
    "GET /patients": PHYSICIANS,
    "GET /patients/{id}": PHYSICIANS,
    "GET /documents": PHYSICIANS,
    "GET /documents/{id}": PHYSICIANS,
    "GET /documents/{id}/view": PHYSICIANS,
    "GET /documents/{id}/download": PHYSICIANS,
    "POST /documents/{id}/read": PHYSICIANS,
    "POST /documents/{id}/unread": PHYSICIANS,
    "POST /documents/read": PHYSICIANS,  # "Mark all as read"
    "GET /documents/{id}/tab": PHYSICIANS,  # a document in a tab of its own
    "GET /events": PHYSICIANS,
    "GET /applications": PHYSICIANS,
    "POST /applications/{id}/enrolment": PHYSICIANS,
    "POST /applications/{id}/open": PHYSICIANS,
    "GET /admin/undelivered": ADMINISTRATORS,
    "GET /admin/support": ADMINISTRATORS,  # the messages written with the help page's form
    "GET /admin/notifications": ADMINISTRATORS,  # everyone's notification log (F10)
    "GET /admin/accounts": ADMINISTRATORS,
    "GET /admin/accounts/new": ADMINISTRATORS,
    "POST /admin/accounts/new": ADMINISTRATORS,
    "POST /admin/accounts/{id}/deactivate": ADMINISTRATORS,
    "POST /admin/accounts/{id}/reactivate": ADMINISTRATORS,
    "POST /admin/accounts/{id}/unlock": ADMINISTRATORS,
    "POST /admin/accounts/{id}/reset-password": ADMINISTRATORS,
    "POST /admin/accounts/{id}/reset-app": ADMINISTRATORS,
    "POST /admin/accounts/{id}/unlink-hin": ADMINISTRATORS,
    "POST /admin/accounts/{id}/mobile": ADMINISTRATORS,
    "POST /admin/accounts/{id}/mobile/confirm": ADMINISTRATORS,
    "GET /admin/applications": ADMINISTRATORS,
    "GET /admin/applications/new": ADMINISTRATORS,
    "POST /admin/applications": ADMINISTRATORS,
    "GET /admin/applications/{id}": ADMINISTRATORS,
    "POST /admin/applications/{id}": ADMINISTRATORS,
    "POST /admin/applications/{id}/enrolments/{account}/grant": ADMINISTRATORS,
    "POST /admin/applications/{id}/enrolments/{account}/refuse": ADMINISTRATORS,
    "GET /requests": PHYSICIANS,
    "GET /requests/new/{kind}": PHYSICIANS,
    "POST /requests/new/{kind}": PHYSICIANS,
    "POST /requests/new/{kind}/autosave": PHYSICIANS,
    "GET /requests/{id}": PHYSICIANS,
    "POST /requests/{id}": PHYSICIANS,
    "POST /requests/{id}/autosave": PHYSICIANS,
    "POST /requests/{id}/reply": PHYSICIANS,
    "GET /requests/{id}/files/{file}": REQUEST_PARTIES,
    "GET /inbox": SERVICE_STAFF,
    "GET /inbox/requests/{id}": SERVICE_STAFF,
    "POST /inbox/requests/{id}/{step}": SERVICE_STAFF,
    "POST /inbox/requests/{id}/answer": SERVICE_STAFF,
    "GET /admin/services": ADMINISTRATORS,
    "GET /admin/services/new": ADMINISTRATORS,
    "POST /admin/services": ADMINISTRATORS,
    "GET /admin/services/{id}": ADMINISTRATORS,
    "POST /admin/services/{id}": ADMINISTRATORS,
    "POST /admin/services/{id}/members": ADMINISTRATORS,
    "GET /.well-known/jwks.json": PUBLIC,  # the secure applications verify assertions with it
    "GET /admin/audit": ADMINISTRATORS,  # the audit log, searched (F9)
    "GET /activity": PHYSICIANS,  # "Mon activité": one's own logins, documents opened, sessions ended
    "GET /.well-known/audit-checkpoint-key.pem": PUBLIC,  # the hospital verifies the audit checkpoints with it
    "GET /directory": HOSPITAL_STAFF,
    "GET /validation": VALIDATORS,
    "GET /validation/{id}": VALIDATORS,
    "POST /validation/{id}/control": VALIDATORS,
    "POST /validation/{id}/control/confirm": VALIDATORS,
    "POST /validation/{id}/sign": VALIDATORS,
    "POST /validation/{id}/login": ADMINISTRATORS,
    "POST /validation/{id}/refuse": VALIDATORS,
    "POST /validation/{id}/id-copy": VALIDATORS,
    "GET /validation/{id}/id-copy": VALIDATORS,
    "GET /lang/{locale}": EVERYONE,  # a signed-in physician's choice is their account's (i18n.switch_choice)
    "GET /healthz": PUBLIC,
    "GET /static": PUBLIC,
    "GET /dev/outbox": PUBLIC,  # development only (routes.py adds it there alone)
}


class RoleRefused(Exception):
    """The session's account has no role the route's audience admits."""


class RouteWithoutAudience(Exception):
    """A route of the pages has no entry in `AUDIENCES`: the gateway must not start."""


AUDIENCE_KEY = web.AppKey("route_audiences", dict[AbstractRoute, Audience])


def route_key(route: AbstractRoute) -> str:
    """A route's entry in `AUDIENCES`: its method and pattern (HEAD is its GET's)."""
    method = "GET" if route.method == "HEAD" else route.method
    assert route.resource is not None  # only the router's own stand-ins for 404 and 405 have none
    return f"{method} {route.resource.canonical}"


def route_audiences(routes: Iterable[AbstractRoute]) -> dict[AbstractRoute, Audience]:
    """Each route's audience; RouteWithoutAudience names every route the table leaves out."""
    routes = list(routes)
    missing = sorted({route_key(route) for route in routes if route_key(route) not in AUDIENCES})
    if missing:
        raise RouteWithoutAudience(f"routes without an entry in gateway/access.py AUDIENCES: {', '.join(missing)}")
    return {route: AUDIENCES[route_key(route)] for route in routes}


def audience_of(request: web.Request) -> Audience:
    """The audience of the route the request matched; UNROUTED for a 404 or a 405."""
    return request.config_dict[AUDIENCE_KEY].get(request.match_info.route, UNROUTED)
