"""Mes documents (F2.2, F2.3): the physician's documents, and each one's content."""
from __future__ import annotations

import base64
import binascii
import math
import re
import unicodedata
from typing import Literal
from urllib.parse import quote

from aiohttp import web

from common.bus import call
from common.contracts.documents import CONTENT, LIST, DocumentContent, DocumentPage, GetContent, ListDocuments
from common.errors import NotFound

from ..pages import render_page, see_other
from ..sessions import current_token
from ..state import bus_of

PER_PAGE = 25
MAX_PAGE = 100_000  # ListDocuments' own bound

# The shape of a document id in a URL; routes.py uses it so that nothing else reaches a view.
DOCUMENT_ID = r"[A-Za-z0-9-]{1,64}"

# What a browser may show inline from our origin; anything else (HTML, SVG...) is only downloaded.
INLINE_MEDIA_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})
# Documents are not pages: no script, no frame, but the browser's PDF viewer must still work.
CONTENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; object-src 'self'; frame-ancestors 'none'"

_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
_FALLBACK_UNSAFE = re.compile(r"[^A-Za-z0-9._() -]")

Disposition = Literal["view", "download"]


async def list_documents(request: web.Request) -> web.Response:
    """GET /documents?page=N: one page of the physician's documents, newest first."""
    page = _page_number(request.query.get("page", "1"))
    found = await call(
        bus_of(request), LIST, ListDocuments(page=page, per_page=PER_PAGE), DocumentPage, token=current_token(request)
    )
    pages = max(1, math.ceil(found.total / found.per_page))
    if page > pages:
        raise NotFound()
    return render_page(
        request, "documents.html", {"documents": found.items, "page": found.page, "pages": pages, "total": found.total}
    )


async def view_document(request: web.Request) -> web.Response:
    """GET /documents/{id}/view: the document, shown by the browser."""
    return await _content(request, "view")


async def download_document(request: web.Request) -> web.Response:
    """GET /documents/{id}/download: the document, saved as a file."""
    return await _content(request, "download")


async def _content(request: web.Request, disposition: Disposition) -> web.Response:
    wanted = GetContent(id=request.match_info["id"], disposition=disposition)
    content = await call(bus_of(request), CONTENT, wanted, DocumentContent, token=current_token(request))
    media_type = _media_type(content.media_type)
    inline = disposition == "view" and media_type in INLINE_MEDIA_TYPES
    return web.Response(
        body=_decoded(content.data_b64),
        headers={
            "Content-Type": media_type,
            "Content-Disposition": content_disposition("inline" if inline else "attachment", content.filename),
            "Content-Security-Policy": CONTENT_CSP,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


def content_disposition(kind: Literal["inline", "attachment"], filename: str) -> str:
    """RFC 6266: an ASCII `filename` for old clients, the exact UTF-8 name in `filename*`."""
    name = _base_name(filename)
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    fallback = _FALLBACK_UNSAFE.sub("_", ascii_name).strip(" .") or "document"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _base_name(filename: str) -> str:
    # A file name, never a path, and no control characters; the service's name is still trusted for the rest.
    name = re.split(r"[/\\]", filename)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C").strip()
    return name or "document"


def _media_type(declared: str) -> str:
    essence = declared.split(";", 1)[0].strip().lower()
    return essence if _MEDIA_TYPE.fullmatch(essence) else "application/octet-stream"


def _decoded(data_b64: str) -> bytes:
    try:
        return base64.b64decode(data_b64, validate=True)
    except binascii.Error:
        raise ValueError("document content is not valid base64") from None


def _page_number(raw: str) -> int:
    # A page that cannot exist is a page not found, like any other bad URL.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6 and 1 <= int(raw) <= MAX_PAGE):
        raise NotFound()
    return int(raw)


async def home(request: web.Request) -> web.Response:
    """GET /: the documents list is the landing page."""
    return see_other("/documents")
