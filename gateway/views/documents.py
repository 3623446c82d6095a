"""Mes documents (F2.2, F2.3): the physician's documents with filters, each one's page, read marks."""

from __future__ import annotations

import asyncio

from aiohttp import web

from common.bus import call
from common.contracts.base import Empty
from common.contracts.documents import (
    GET_DOCUMENT,
    LIST_DOCUMENTS,
    MARK_ALL_READ,
    MARK_DOCUMENT,
    DocumentDetail,
    DocumentSummary,
    GetDocument,
    ListDocuments,
    MarkDocument,
)

from ..i18n import request_locale
from ..labels import CATEGORIES
from ..pages import nav_counters, render_list, render_page, see_other, unread_answers, with_counters
from ..query import ListQuery
from ..sessions import current_session, current_token
from ..state import bus_of
from .contents import INLINE_MEDIA_TYPES
from .language import safe_local_path

PER_PAGE = 25

# The shape of a document or patient id in a URL; routes.py uses it so that nothing else reaches a view.
OPAQUE_ID = r"[A-Za-z0-9-]{1,64}"

# The filters behind Mes documents' "Filters" disclosure (the search box is not): it stays open while one is set.
_DISCLOSED_FILTERS = ("from", "to", "category", "service", "unread")

# ListDocuments' bounds on the free-text filters.
PATIENT_NAME_MAX = 100
SERVICE_MAX = 200


async def list_documents(request: web.Request) -> web.Response:
    """GET /documents: one page of the physician's documents, newest first, filtered as asked."""
    account = current_session(request).account
    query = ListQuery(request.query, request_locale(request))
    wanted = ListDocuments(
        page=query.page(),
        per_page=PER_PAGE,
        scope=account.documents_scope,
        patient_name=query.text("patient", PATIENT_NAME_MAX),
        created_from=query.day("from"),
        created_to=query.day("to"),
        category=query.choice("category", CATEGORIES),  # checked against the contract's codes
        service=query.text("service", SERVICE_MAX),
        unread_only=query.flag("unread"),
        with_counters=True,  # the documents' counters come with the list: one request less per page
    )
    found, answers = await asyncio.gather(
        call(bus_of(request), LIST_DOCUMENTS, wanted, token=current_token(request)), unread_answers(request)
    )
    counters = nav_counters(found.counters, answers)
    return render_list(
        request,
        "documents.html",
        "_documents_region.html",
        {
            **query.listing("/documents", found.total, wanted.page, found.per_page),
            "counters": counters,
            "documents": found.items,
            "services": found.services,
            "categories": CATEGORIES,
            "scope": account.documents_scope,
            "show_patient": True,
            "active_filters": sum(1 for name in _DISCLOSED_FILTERS if query.values.get(name)),
        },
        status=query.status,
    )


async def document_page(request: web.Request) -> web.Response:
    """GET /documents/{id}: a document's metadata and every version received, the current one first."""
    wanted = GetDocument(id=request.match_info["id"])
    asked = call(bus_of(request), GET_DOCUMENT, wanted, token=current_token(request))
    detail, counters = await with_counters(request, asked)
    versions = sorted(detail.versions, key=lambda version: (not version.current, -version.version))
    return render_page(
        request,
        "document.html",
        {
            "counters": counters,
            "document": detail.document,
            "versions": versions,
            "current": _current(detail),
            "inline": detail.document.media_type in INLINE_MEDIA_TYPES,  # beside the details, on wide screens
        },
    )


async def document_tab(request: web.Request) -> web.Response:
    """GET /documents/{id}/tab: the document in a tab of its own, titled with its title and the portal's name
    (a PDF shown at the top level would be titled with its URL or its file's metadata)."""
    wanted = GetDocument(id=request.match_info["id"])
    detail = await call(bus_of(request), GET_DOCUMENT, wanted, token=current_token(request))
    return render_page(request, "document_tab.html", {"document": detail.document})


def _current(detail: DocumentDetail) -> DocumentSummary:
    return next((version for version in detail.versions if version.current), detail.document)


async def mark_read(request: web.Request) -> web.Response:
    """POST /documents/{id}/read: mark the document read, then back to where the form was."""
    return await _mark(request, read=True)


async def mark_unread(request: web.Request) -> web.Response:
    """POST /documents/{id}/unread: mark the document unread again, then back to where the form was."""
    return await _mark(request, read=False)


async def mark_all_read(request: web.Request) -> web.Response:
    """POST /documents/read: "Mark all as read", every unread document of the physician's (whatever
    the filters), then back to the list as it was."""
    await call(bus_of(request), MARK_ALL_READ, Empty(), token=current_token(request))
    back = (await request.post()).get("next")
    return see_other((safe_local_path(back) if isinstance(back, str) else None) or "/documents")


async def _mark(request: web.Request, read: bool) -> web.Response:
    document_id = request.match_info["id"]
    await call(bus_of(request), MARK_DOCUMENT, MarkDocument(id=document_id, read=read), token=current_token(request))
    back = (await request.post()).get("next")
    return see_other((safe_local_path(back) if isinstance(back, str) else None) or f"/documents/{document_id}")


async def home(request: web.Request) -> web.Response:
    """GET /: each role's landing page; the login ends here."""
    role = current_session(request).account.role
    if role == "physician":
        return see_other("/patients" if current_session(request).account.landing_page == "patients" else "/documents")
    if role == "admin":
        return see_other("/admin/undelivered")
    if role == "validator":
        return see_other("/validation")
    return see_other("/inbox")  # the services' staff: their services' inboxes
