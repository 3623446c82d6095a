"""Who is browsing: every non-public request is resolved by identity into a session and its token."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp.typedefs import Handler
from nats.aio.client import Client as NATS

from common.bus import call
from common.contracts.identity import RESOLVE_SESSION, AccountSummary, ResolvedSession, SessionRef
from common.errors import NotFound, Unauthenticated

from .cookies import session_cookie_name
from .session_memory import SessionMemory
from .state import CleanupContext, settings_of

SESSION_KEY = web.RequestKey("session", ResolvedSession)
SESSION_MEMORY_KEY = web.AppKey("session_memory", SessionMemory)

PARTIAL_HEADER = "X-Portal-Partial"
"""Sent by the page's own script when it refreshes a list after a live update."""

# Reachable without a session. Logout is here so that a dead session still logs out cleanly.
PUBLIC_PATHS = frozenset(
    {
        "/login",
        "/login/code",
        "/login/unlock",
        "/login/unlock/code",
        "/login/hin",
        "/login/hin/callback",
        "/logout",
        "/register",
        "/register/sent",
        "/healthz",
        "/.well-known/jwks.json",
        "/dev/outbox",
        "/favicon.ico",
    }
)
PUBLIC_PREFIXES = ("/static/", "/lang/")

# What a session with a temporary password may reach.
FIRST_LOGIN_PATHS = ("/profile/password", "/logout")
FIRST_PROFILE_PATHS = ("/profile", "/logout")

# identity accepts at most this much (SessionRef); anything longer cannot be a session.
_SESSION_MAX_LENGTH = 1024


def is_public(path: str) -> bool:
    """Whether a path is served without a session."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def session_cookie(request: web.Request) -> str | None:
    """The browser's session handle, if it sent a plausible one."""
    value = request.cookies.get(session_cookie_name(settings_of(request)), "")
    return value if 0 < len(value) <= _SESSION_MAX_LENGTH else None


def current_session(request: web.Request) -> ResolvedSession:
    """The session the middleware resolved; only on non-public routes."""
    return request[SESSION_KEY]


def current_token(request: web.Request) -> str:
    """The signed token to pass as `token=` on every call to a service."""
    return request[SESSION_KEY].token


def forget(request: web.Request) -> None:
    """Stop reusing what identity said of this browser's session: this gateway just ended or
    changed it."""
    handle = session_cookie(request)
    if handle is not None:
        request.config_dict[SESSION_MEMORY_KEY].forget(handle)


@web.middleware
async def sessions(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Resolve the session cookie; raise Unauthenticated (the error middleware redirects to login)."""
    if is_public(request.path):
        return await handler(request)
    handle = session_cookie(request)
    if handle is None:
        raise Unauthenticated()
    # What the page's script does by itself (the event stream, live refreshes) is not the physician
    # being active: it must not keep an unattended session alive past its idle timeout.
    unattended = request.path == "/events" or request.headers.get(PARTIAL_HEADER) == "1"
    resolved = request[SESSION_KEY] = await request.config_dict[SESSION_MEMORY_KEY].resolve(
        handle, touch=not unattended
    )
    if resolved.account.must_change_password and not request.path.startswith(FIRST_LOGIN_PATHS):
        # A temporary password: choosing one's own comes before anything else.
        return web.Response(status=303, headers={"Location": "/profile/password?first=1"})
    if resolved.account.profile_to_confirm and not request.path.startswith(FIRST_PROFILE_PATHS):
        # Then the profile, confirmed once (F5.3 step 4).
        return web.Response(status=303, headers={"Location": "/profile?first=1"})
    return await handler(request)


def remembered_sessions(bus: NATS) -> CleanupContext:
    """A cleanup context: the memory of identity's answers, asking through `bus`."""

    async def remembered(app: web.Application) -> AsyncIterator[None]:
        async def ask(handle: str, touch: bool) -> ResolvedSession:
            return await call(bus, RESOLVE_SESSION, SessionRef(session=handle, touch=touch))

        memory = app[SESSION_MEMORY_KEY] = SessionMemory(ask)
        yield
        await memory.close()

    return remembered


def account_with_role(request: web.Request, role: str) -> AccountSummary:
    """The session's account if it has `role`; anyone else gets the same 404 as for a missing page."""
    account = request[SESSION_KEY].account
    if account.role != role:
        raise NotFound()
    return account
