"""The legal notice and the privacy policy (issue 15): who runs the portal, the data it keeps and
why, under the Swiss Federal Act on Data Protection (nLPD), and whom to contact. For everyone."""

from __future__ import annotations

from aiohttp import web

from ..pages import render_page
from ..state import settings_of


def _context(request: web.Request) -> dict[str, object]:
    settings = settings_of(request)
    return {
        "hospital_phone": settings.hospital_phone,
        "hospital_email": settings.hospital_email,
        "support_email": settings.support_email,
        "idle_minutes": settings.session_idle_seconds // 60,
    }


async def legal_page(request: web.Request) -> web.Response:
    """GET /legal: the legal notice."""
    return render_page(request, "legal.html", _context(request))


async def privacy_page(request: web.Request) -> web.Response:
    """GET /privacy: the privacy policy."""
    return render_page(request, "privacy.html", _context(request))
