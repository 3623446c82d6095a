"""A document's content (F2.3), streamed chunk by chunk from the documents service to the browser.

Only one chunk is held at a time: the service is asked for the next one once the browser has
taken the previous one, so a slow browser slows the reading, never grows the gateway.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable
from operator import attrgetter
from typing import Literal
from urllib.parse import quote

from aiohttp import web
from nats.aio.client import Client as NATS

from common.bus import call
from common.contracts.documents import READ_CONTENT, ContentChunk, DocumentName, GetContent

from ..i18n import TEMPLATES_KEYS, request_locale
from ..locale_formats import DISPLAY_TIMEZONE
from ..sessions import current_token
from ..state import bus_of

log = logging.getLogger(__name__)

# What a browser may show inline from our origin; anything else (HTML, SVG...) is only downloaded.
INLINE_MEDIA_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})
# A document is not a page: sandboxed (no script, no same-origin access), loads nothing, is framed by
# no one. Chromium's PDF viewer still renders a top-level PDF under it (checked by the browser tests).
CONTENT_CSP = "sandbox; default-src 'none'; frame-ancestors 'none'"
# A document shown by its own page beside its details (document.html): framed by our pages only.
FRAMED_CONTENT_CSP = "sandbox; default-src 'none'; frame-ancestors 'self'"

_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
_FALLBACK_UNSAFE = re.compile(r"[^A-Za-z0-9._() -]")

Disposition = Literal["view", "download"]


class ContentBrokeOff(Exception):
    """The service's chunks do not add up to the document it announced."""


async def view_document(request: web.Request) -> web.StreamResponse:
    """GET /documents/{id}/view: the document, shown by the browser."""
    return await _content(request, "view")


async def download_document(request: web.Request) -> web.StreamResponse:
    """GET /documents/{id}/download: the document, saved as a file."""
    return await _content(request, "download")


async def _content(request: web.Request, disposition: Disposition) -> web.StreamResponse:
    reader = _ChunkReader(bus_of(request), current_token(request), request.match_info["id"], disposition)
    category = request.app[TEMPLATES_KEYS[request_locale(request)]].filters["category"]

    def named(chunk: ContentChunk) -> str:
        return chunk.filename if chunk.named is None else document_filename(chunk.named, category(chunk.named.category))

    return await stream_content(request, reader.read, disposition, framable=disposition == "view", name=named)


def document_filename(named: DocumentName, category: str) -> str:
    """ "2026-01-30 Rapport de sortie DUPONT Jean.pdf": the date, the category in the reader's language, the patient."""
    name = f"{named.created_at.astimezone(DISPLAY_TIMEZONE):%Y-%m-%d} {category} {named.patient}"
    return re.sub(r"[/\\]", "-", name) + named.extension  # a name, never a path


ChunkSource = Callable[[int], Awaitable[ContentChunk]]
"""Asks the owning service for a content's chunk at an offset."""


async def stream_content(
    request: web.Request,
    read: ChunkSource,
    disposition: Disposition,
    framable: bool = False,
    name: Callable[[ContentChunk], str] = attrgetter("filename"),
) -> web.StreamResponse:
    """A content (a document, a request's file) to the browser, a chunk at a time; `framable`: our
    own pages may show it in a frame (a document's page)."""
    # Until the response is prepared, an error (not found, service down) is an ordinary error page.
    first = await read(0)
    media_type = _media_type(first.media_type)
    inline = disposition == "view" and media_type in INLINE_MEDIA_TYPES
    response = web.StreamResponse(
        headers={
            "Content-Type": media_type,
            "Content-Disposition": content_disposition("inline" if inline else "attachment", name(first)),
            "Content-Security-Policy": FRAMED_CONTENT_CSP if framable else CONTENT_CSP,
            "X-Frame-Options": "SAMEORIGIN" if framable else "DENY",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )
    response.content_length = first.size
    await response.prepare(request)
    try:
        await _send(response, read, first)
    except ConnectionError:
        pass  # the browser went away (a closed tab, a cancelled download): nothing to tell anyone
    except Exception as exc:  # the error middleware must not answer on a started response
        # The headers are sent: the only honest answer is a connection that ends before Content-Length.
        log.warning("document content broken off: %s", type(exc).__name__)
        _abort(request)
    return response


async def _send(response: web.StreamResponse, read: ChunkSource, first: ContentChunk) -> None:
    """Write each chunk as it comes, asking for the next one only once the last is written."""
    size, sent = first.size, 0
    chunk: ContentChunk | None = first
    while chunk is not None:
        if chunk.offset != sent or chunk.size != size:
            raise ContentBrokeOff()
        data = _decoded(chunk.data_b64)
        last = chunk.last
        chunk = None  # one chunk in memory at a time: drop the text before the next one arrives
        if sent + len(data) > size or (not data and not last):
            raise ContentBrokeOff()
        await response.write(data)  # waits while the browser's side of the connection is full
        sent += len(data)
        del data
        if not last:
            chunk = await read(sent)
    if sent != size:
        raise ContentBrokeOff()
    await response.write_eof()


class _ChunkReader:
    """Asks the documents service for one document's chunks."""

    def __init__(self, nc: NATS, token: str, document_id: str, disposition: Disposition) -> None:
        self.nc, self.token, self.document_id, self.disposition = nc, token, document_id, disposition

    async def read(self, offset: int) -> ContentChunk:
        wanted = GetContent(id=self.document_id, disposition=self.disposition, offset=offset)
        return await call(self.nc, READ_CONTENT, wanted, token=self.token)


def _abort(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.abort()


def content_disposition(kind: Literal["inline", "attachment"], filename: str) -> str:
    """RFC 6266: an ASCII `filename` for old clients, the exact UTF-8 name in `filename*`."""
    name = base_name(filename, "document")
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    fallback = _FALLBACK_UNSAFE.sub("_", ascii_name).strip(" .") or "document"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def base_name(filename: str, otherwise: str) -> str:
    """A file name, never a path, and no control characters (`otherwise` if nothing is left)."""
    name = re.split(r"[/\\]", filename)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C").strip()
    return name or otherwise


def _media_type(declared: str) -> str:
    essence = declared.split(";", 1)[0].strip().lower()
    return essence if _MEDIA_TYPE.fullmatch(essence) else "application/octet-stream"


def _decoded(data_b64: str) -> bytes:
    try:
        return base64.b64decode(data_b64, validate=True)
    except binascii.Error:
        raise ValueError("document content is not valid base64") from None
