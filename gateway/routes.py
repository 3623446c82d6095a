"""The one table of the gateway's routes."""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from .config import GatewaySettings
from .i18n import LOCALES
from .views.auth import code, code_form, login, login_form, logout
from .views.dev_outbox import dev_outbox
from .views.documents import DOCUMENT_ID, download_document, home, list_documents, view_document
from .views.health import healthz
from .views.language import switch_language

STATIC_DIR = Path(__file__).parent / "static"


def routes(settings: GatewaySettings) -> list[web.AbstractRouteDef]:
    """Every route; the development outbox exists only in development."""
    table = [
        web.get("/", home),
        web.get("/login", login_form),
        web.post("/login", login),
        web.get("/login/code", code_form),
        web.post("/login/code", code),
        web.post("/logout", logout),
        web.get("/documents", list_documents),
        # No HEAD: each GET of a content is a traced view or download (F1.6).
        web.get(f"/documents/{{id:{DOCUMENT_ID}}}/view", view_document, allow_head=False),
        web.get(f"/documents/{{id:{DOCUMENT_ID}}}/download", download_document, allow_head=False),
        web.get(f"/lang/{{locale:{'|'.join(LOCALES)}}}", switch_language),
        web.get("/healthz", healthz),
        web.static("/static", STATIC_DIR),
    ]
    if settings.dev_outbox_enabled:
        table.append(web.get("/dev/outbox", dev_outbox))
    return table
