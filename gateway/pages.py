"""Rendering a page: the request's language, and what every page's layout shows."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp_jinja2
from aiohttp import web

from common.bus import call
from common.contracts.base import Empty, SignedEndpoint
from common.contracts.documents import COUNT_UNREAD, UnreadCounters
from common.contracts.requests import COUNT_UNREAD_ANSWERS, UnreadAnswers
from common.errors import DomainError

from . import flash
from .csrf import form_token
from .i18n import LANGUAGE_VARY, TEMPLATES_KEYS, request_locale
from .sessions import PARTIAL_HEADER, SESSION_KEY
from .state import bus_of, settings_of

T = TypeVar("T")
Counted = TypeVar("Counted", UnreadCounters, UnreadAnswers)

# The counters decorate the navigation: a slow answer must not hold the page for long.
COUNTERS_TIMEOUT = 2.0


def render_page(
    request: web.Request, template: str, context: Mapping[str, Any] | None = None, status: int = 200
) -> web.Response:
    """Render `template` in the browser's locale, with the layout's common values."""
    locale = request_locale(request)
    session = request.get(SESSION_KEY)
    partial = request.headers.get(PARTIAL_HEADER) == "1"  # a live refresh leaves the notice to the page
    layout = {
        "flash": None if partial else flash.waiting(request),
        "locale": locale,
        "account": session.account if session else None,
        "counters": None,
        "live": False,
        "csrf_token": form_token(request),
        "current_path": request.path_qs,
        "dev_outbox": settings_of(request).dev_outbox_enabled,
        "hospital_name": settings_of(request).hospital_name,
        "hospital_logo": settings_of(request).hospital_logo_url,
    }
    response = aiohttp_jinja2.render_template(
        template, request, {**layout, **(context or {})}, app_key=TEMPLATES_KEYS[locale], status=status
    )
    response.headers["Vary"] = ", ".join(LANGUAGE_VARY)
    if not partial:
        flash.shown(request, response)
    return response


def render_list(
    request: web.Request, template: str, region: str, context: Mapping[str, Any], status: int = 200
) -> web.Response:
    """A page whose `region` template the live update refreshes; the live script gets only its parts."""
    if request.headers.get(PARTIAL_HEADER) == "1":
        response = render_page(request, "partial.html", {**context, "region": region})
    else:
        response = render_page(request, template, {**context, "region": region, "live": True}, status=status)
    response.headers["Vary"] = ", ".join((*LANGUAGE_VARY, PARTIAL_HEADER))
    return response


@dataclass(frozen=True)
class Counters:
    """The navigation's unread counts; None: that one could not be had, and is not shown."""

    documents: int | None
    patients: int | None
    requests: int | None


def nav_counters(documents: UnreadCounters | None, answers: UnreadAnswers | None) -> Counters:
    return Counters(
        documents=None if documents is None else documents.documents,
        patients=None if documents is None else documents.patients,
        requests=None if answers is None else answers.requests,
    )


async def with_counters(request: web.Request, answer: Awaitable[T]) -> tuple[T, Counters]:
    """The view's answer and the navigation's unread counters, asked at the same time."""
    return await asyncio.gather(answer, unread_counters(request))


async def unread_counters(request: web.Request) -> Counters:
    """The navigation's unread counters (none for anyone but a physician)."""
    documents, answers = await asyncio.gather(_count(request, COUNT_UNREAD), unread_answers(request))
    return nav_counters(documents, answers)


async def unread_answers(request: web.Request) -> UnreadAnswers | None:
    """How many of a physician's requests have an answer they have not opened (a page whose own
    answer brings the documents' counters asks only this)."""
    return await _count(request, COUNT_UNREAD_ANSWERS)


async def _count(request: web.Request, endpoint: SignedEndpoint[Empty, Counted]) -> Counted | None:
    """A physician's unread count from one service; None (not shown) if it cannot be had."""
    session = request.get(SESSION_KEY)
    if session is None or session.account.role != "physician":
        return None
    try:
        return await call(bus_of(request), endpoint, Empty(), token=session.token, timeout=COUNTERS_TIMEOUT)
    except DomainError:
        return None  # the page itself still answers; its own call reports an unavailable service


def see_other(location: str) -> web.Response:
    """A 303 redirect, returned (not raised) so the outer middlewares still add their headers."""
    return web.Response(status=303, headers={"Location": location})
