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
from ..state import bus_of
from .credentials import current_handle
from .validation import refused_page


async def upload_id_copy(request: web.Request) -> web.Response:
    """POST /validation/{id}/id-copy (multipart, field `copy`)."""
    request_id = request.match_info["id"]
    data = await _read_copy(request)
    if isinstance(data, str):
        return await refused_page(request, request_id, data, 413 if data == "too_large" else 400)
    upload, session, size = str(uuid.uuid4()), current_handle(request), api.ID_COPY_PART_BYTES
    parts = [data[offset : offset + size] for offset in range(0, len(data), size)]
    try:
        for seq, part in enumerate(parts):
            await call(bus_of(request), api.ID_COPY_PART, api.IdCopyPart(
                session=session, id=request_id, upload=upload, seq=seq,
                data_b64=base64.b64encode(part).decode(), last=seq == len(parts) - 1,
            ), api.IdCopyReceived)
    except (InvalidRequest, Conflict):
        return await refused_page(request, request_id, "not_a_document", 400)
    return see_other(f"/validation/{request_id}")


async def _read_copy(request: web.Request) -> bytes | str:
    """The file's bytes, or why not ("missing", "too_large", "not_a_document")."""
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
