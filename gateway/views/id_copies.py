"""The validator uploads the copy of the applicant's identity document: checked (PDF, JPEG or PNG
by its first bytes, at most 5 MB) and handed to identity in parts of 512 KB as the browser sends
it (id_copy_parts), which seals each; and shows the copy kept."""

from __future__ import annotations

import base64
import uuid

from aiohttp import BodyPartReader, web

from common.bus import call
from common.contracts import registration as api
from common.errors import Conflict, InvalidRequest

from ..id_copy_parts import BODY_MAX, read_start, send_in_parts
from ..pages import see_other
from ..sessions import current_token
from ..state import bus_of
from ..uploads import drop_part
from .contents import CONTENT_CSP, INLINE_MEDIA_TYPES, content_disposition
from .validation import refused_page


async def upload_id_copy(request: web.Request) -> web.Response:
    """POST /validation/{id}/id-copy (multipart, field `copy`): streamed to identity as it comes."""
    request_id = request.match_info["id"]
    copy = await _copy_part(request)
    head = bytearray()
    if copy is None:
        return await refused_page(request, request_id, "missing", 400)
    if not await read_start(copy, head):
        await drop_part(copy, BODY_MAX)
        return await refused_page(request, request_id, "not_a_document" if head else "missing", 400)
    upload = str(uuid.uuid4())

    async def send(seq: int, piece: bytes, last: bool) -> None:
        part = api.IdCopyPart(
            id=request_id, upload=upload, seq=seq, data_b64=base64.b64encode(piece).decode(), last=last
        )
        await call(bus_of(request), api.STORE_ID_COPY_PART, part, token=current_token(request))

    try:
        whole = await send_in_parts(copy, head, send)
    except (InvalidRequest, Conflict):
        whole = None
    await drop_part(copy, BODY_MAX)
    if whole is None:
        return await refused_page(request, request_id, "not_a_document", 400)
    if not whole:
        return await refused_page(request, request_id, "too_large", 413)
    return see_other(f"/validation/{request_id}")


async def view_id_copy(request: web.Request) -> web.StreamResponse:
    """GET /validation/{id}/id-copy: the kept copy, shown by the browser (sandboxed), part after part."""
    request_id = request.match_info["id"]

    async def part(offset: int) -> api.IdCopyChunk:
        return await call(
            bus_of(request),
            api.READ_ID_COPY,
            api.IdCopyRead(id=request_id, offset=offset),
            token=current_token(request),
        )

    first = await part(0)  # before the response starts, a refusal is an ordinary error page
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(first.media_type, "bin")
    response = web.StreamResponse(
        headers={
            "Content-Type": first.media_type if first.media_type in INLINE_MEDIA_TYPES else "application/octet-stream",
            "Content-Disposition": content_disposition("inline", f"piece-identite.{extension}"),
            "Content-Security-Policy": CONTENT_CSP,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        }
    )
    response.content_length = first.size
    await response.prepare(request)
    chunk, offset = first, 0
    while True:
        data = base64.b64decode(chunk.data_b64)
        await response.write(data)
        offset += len(data)
        if chunk.last or not data:
            break
        chunk = await part(offset)
    await response.write_eof()
    return response


async def _copy_part(request: web.Request) -> BodyPartReader | None:
    """The file's part, unread (None if the form sent none: not the page's form, or no file)."""
    if request.content_type != "multipart/form-data":  # not the page's form: nothing uploaded (not a 500)
        return None
    if (request.content_length or 0) > BODY_MAX:
        raise web.HTTPRequestEntityTooLarge(max_size=BODY_MAX, actual_size=request.content_length or 0)
    async for part in await request.multipart():
        if isinstance(part, BodyPartReader) and part.name == "copy":
            return part
    return None
