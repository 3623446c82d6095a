"""Help (F8): the help page, for everyone, logged in or not (the support's contacts, the user
guide's explanations, a contact form), and the messages it sent, for the administrators.

A message from a session is the account's; identity answers it. Nothing here logs what a message
says or who wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web
from pydantic import ValidationError

from common.bus import call
from common.contracts.support import (
    LIST_SUPPORT_MESSAGES,
    TEXT_MAX_LENGTH,
    WRITE_TO_SUPPORT,
    WRITE_TO_SUPPORT_SIGNED,
    AnonymousSupportMessage,
    SupportInboxPage,
    SupportMessage,
)
from common.errors import TooManyRequests

from ..forms import field, field_problems
from ..labels import SUPPORT_TOPICS
from ..pages import render_page, see_other
from ..query import ListQuery
from ..sessions import SESSION_KEY, current_token
from ..state import bus_of, settings_of
from .auth import client_ip

HELP_PAGE = "help.html"
MESSAGES_PAGE = "admin_support.html"
PER_PAGE = 50
_KEPT = {"name": 200, "email": 254, "topic": 20, "text": TEXT_MAX_LENGTH + 1000}
"""What the form gives back when it refuses a message: the typed text, a little beyond its limit
(the field's own limit stops the browser there)."""


async def help_page(request: web.Request) -> web.Response:
    """GET /help: the support's contacts, the explanations, the contact form (or that it was sent)."""
    return _page(request, {}, {}, sent=request.query.get("sent") == "1")


async def contact(request: web.Request) -> web.Response:
    """POST /help/contact: a message to the support, then the page says it was sent."""
    posted = await request.post()
    values = {name: field(posted, name).strip()[:limit] for name, limit in _KEPT.items()}
    session = request.get(SESSION_KEY)
    base = {"topic": values["topic"], "text": values["text"], "client_ip": client_ip(request)}
    try:
        if session is not None:
            await call(bus_of(request), WRITE_TO_SUPPORT_SIGNED, SupportMessage(**base), token=session.token)
        else:
            message = AnonymousSupportMessage(**base, name=values["name"], email=values["email"])
            await call(bus_of(request), WRITE_TO_SUPPORT, message)
    except ValidationError as invalid:
        return _page(request, values, field_problems(invalid), status=400)
    except TooManyRequests:
        return _page(request, values, {"form": "too_many"}, status=429)
    return see_other("/help?sent=1#contact")


def _page(
    request: web.Request,
    values: Mapping[str, str],
    problems: Mapping[str, str],
    status: int = 200,
    sent: bool = False,
) -> web.Response:
    settings = settings_of(request)
    context = {
        "values": values,
        "problems": problems,
        "sent": sent,
        "topics": SUPPORT_TOPICS,
        "text_max_length": TEXT_MAX_LENGTH,
        "support_email": settings.support_email,
        "support_phone": settings.support_phone,
        "support_hours": settings.support_hours,
        "hin_login": settings.hin_login,
    }
    return render_page(request, HELP_PAGE, context, status=status)


async def messages_page(request: web.Request) -> web.Response:
    """GET /admin/support: the messages written to the support, newest first."""
    query = ListQuery(request.query)
    wanted = SupportInboxPage(page=query.page(), per_page=PER_PAGE)
    found = await call(bus_of(request), LIST_SUPPORT_MESSAGES, wanted, token=current_token(request))
    return render_page(
        request,
        MESSAGES_PAGE,
        {
            **query.listing("/admin/support", found.total, wanted.page, found.per_page),
            "items": found.items,
            "topics": SUPPORT_TOPICS,
        },
    )
