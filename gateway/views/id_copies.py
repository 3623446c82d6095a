"""The validator uploads the copy of the applicant's identity document: streamed from the
browser, checked (PDF, JPEG or PNG by its first bytes, at most 5 MB), then handed to identity
in parts of 512 KB (a bus message carries at most 1 MB), which seals it."""

from __future__ import annotations

import base64
import uuid

from aiohttp import BodyPartReader, web

from common.bus import call
from common.contracts import registration as api
from common.errors import Conflict, InvalidRequest

from ..pages import see_other
from ..sessions import current_token
from ..state import bus_of
from .contents import CONTENT_CSP, INLINE_MEDIA_TYPES, content_disposition
from .validation import refused_page


async def upload_id_copy(request: web.Request) -> web.Response:
    """POST /validation/{id}/id-copy (multipart, field `copy`)."""
    request_id = request.match_info["id"]
    data = await _read_copy(request)
    if isinstance(data, str):
        return await refused_page(request, request_id, data, 413 if data == "too_large" else 400)
    upload, size = str(uuid.uuid4()), api.ID_COPY_PART_BYTES
    parts = [data[offset : offset + size] for offset in range(0, len(data), size)]
    try:
        for seq, part in enumerate(parts):
            await call(
                bus_of(request),
                api.STORE_ID_COPY_PART,
                api.IdCopyPart(
                    id=request_id,
                    upload=upload,
                    seq=seq,
                    data_b64=base64.b64encode(part).decode(),
                    last=seq == len(parts) - 1,
                ),
                token=current_token(request),
            )
    except (InvalidRequest, Conflict):
        return await refused_page(request, request_id, "not_a_document", 400)
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


async def _read_copy(request: web.Request) -> bytes | str:
    """The file's bytes, or why not ("missing", "too_large", "not_a_document")."""
    if request.content_type != "multipart/form-data":  # not the page's form: nothing uploaded (not a 500)
        return "missing"
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader) or part.name != "copy":
            continue
        data = bytearray()
        while chunk := await part.read_chunk(64 * 1024):
            data += chunk
            if len(data) > api.ID_COPY_MAX_BYTES:
                return "too_large"
        if not data:
            return "missing"
        return bytes(data) if api.id_copy_media_type(bytes(data[:16])) else "not_a_document"
    return "missing"
