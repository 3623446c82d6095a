"""Mon profil (F6): notification mode, specialties, which patients and documents the lists show,
the page after login, the language of emails and SMS; "Confirmer" saves and opens that page. The
password has its own page, and so has the log of the notifications sent."""

from __future__ import annotations

from aiohttp import web
from pydantic import ValidationError

from common.bus import call
from common.contracts.base import Empty
from common.contracts.identity import GET_PROFILE, SAVE_PROFILE, Profile
from common.contracts.specialties import SPECIALTIES

from .. import flash
from ..cookies import LANGUAGE, set_private_cookie
from ..forms import field
from ..pages import render_page, see_other
from ..sessions import current_token, forget
from ..state import bus_of, settings_of
from .language import ONE_YEAR

LANDING_PATHS = {"documents": "/documents", "patients": "/patients"}


async def profile_page(request: web.Request) -> web.Response:
    """GET /profile."""
    found = await call(bus_of(request), GET_PROFILE, Empty(), token=current_token(request))
    return _page(request, found.model_dump(), None, 200)


async def save_profile(request: web.Request) -> web.Response:
    """POST /profile: save everything, then the chosen landing page."""
    form = await request.post()
    values: dict[str, object] = {
        name: field(form, name)
        for name in ("notify_new_documents", "patients_scope", "documents_scope", "landing_page")
    }
    values["locale"] = field(form, "locale") or None  # not sent (an older page): the language stays
    chosen = [value for value in form.getall("specialties", []) if isinstance(value, str)][: len(SPECIALTIES)]
    try:
        update = Profile(specialties=chosen, **values)
    except ValidationError:
        return _page(request, {**values, "specialties": chosen}, "invalid", 400)
    saved = await call(bus_of(request), SAVE_PROFILE, update, token=current_token(request))
    forget(request)  # the lists' scopes and the landing page come with the session
    response = see_other(LANDING_PATHS[saved.landing_page])
    flash.leave(request, response, flash.PROFILE_SAVED)
    if saved.locale is not None:  # the account's language is the pages' too from now on
        set_private_cookie(response, settings_of(request), LANGUAGE, saved.locale, max_age=ONE_YEAR)
    return response


def _page(request: web.Request, values: dict[str, object], problem: str | None, status: int) -> web.Response:
    first = request.query.get("first") == "1"
    context = {
        "values": values,
        "problem": problem,
        "specialties": SPECIALTIES,
        "first": first,
        "step": 2 if first and request.query.get("step") == "2" else None,  # after the temporary password
        "summary_hour": f"{settings_of(request).daily_summary_hour:02d}:00",
    }
    return render_page(request, "profile.html", context, status=status)
