"""Who is browsing: every non-public request is resolved by identity into a session and its token."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp.typedefs import Handler
from nats.aio.client import Client as NATS

from common.bus import call
from common.contracts.identity import RESOLVE_SESSION, AccountSummary, ResolvedSession, SessionRef
from common.errors import DomainError, Unauthenticated

from .access import FIRST_STEP_PAGES, FirstStep, RoleRefused, audience_of
from .cookies import SESSION, private_cookie
from .session_memory import SessionMemory
from .state import CleanupContext

SESSION_KEY = web.RequestKey("session", ResolvedSession)
SESSION_MEMORY_KEY = web.AppKey("session_memory", SessionMemory)

PARTIAL_HEADER = "X-Portal-Partial"
"""Sent by the page's own script when it refreshes a list after a live update."""

# identity accepts at most this much (SessionRef); anything longer cannot be a session.
_SESSION_MAX_LENGTH = 1024


def session_cookie(request: web.Request) -> str | None:
    """The browser's session handle, if it sent a plausible one."""
    value = private_cookie(request, SESSION)
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
    """Let through only the route's audience (access.py): resolve the session cookie where the
    route needs a session (Unauthenticated: the error middleware sends to the login form), then
    the account's first steps, then its role (RoleRefused), all before the view runs."""
    audience = audience_of(request)
    if audience.public:
        if audience.session_if_any:
            await _resolve_if_alive(request)
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
    step = _first_step(resolved.account)
    if step is not None and step not in audience.first_steps:
        return web.Response(status=303, headers={"Location": FIRST_STEP_PAGES[step]})
    if not audience.admits(resolved.account.role):
        raise RoleRefused()
    return await handler(request)


async def _resolve_if_alive(request: web.Request) -> None:
    """The browser's session where a page is for everyone: a dead one (or identity away) leaves
    the page to the anonymous, who may well be the one asking for help."""
    handle = session_cookie(request)
    if handle is None:
        return
    try:
        request[SESSION_KEY] = await request.config_dict[SESSION_MEMORY_KEY].resolve(handle, touch=True)
    except DomainError:
        return


def _first_step(account: AccountSummary) -> FirstStep | None:
    """What the account must do before anything else: a temporary password's own choice comes
    first, then a new physician's profile, confirmed once (F5.3 step 4)."""
    if account.must_change_password:
        return "temporary_password"
    if account.profile_to_confirm:
        return "profile"
    return None


def remembered_sessions(bus: NATS) -> CleanupContext:
    """A cleanup context: the memory of identity's answers, asking through `bus`."""

    async def remembered(app: web.Application) -> AsyncIterator[None]:
        async def ask(handle: str, touch: bool) -> ResolvedSession:
            return await call(bus, RESOLVE_SESSION, SessionRef(session=handle, touch=touch))

        memory = app[SESSION_MEMORY_KEY] = SessionMemory(ask)
        yield
        await memory.close()

    return remembered
