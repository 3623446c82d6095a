"""The public registration form with the copy of the applicant's identity document (for a check by
video call): its text fields are read as they come; the file, the form's last field, is handed to
identity in parts as the browser sends it (id_copy_parts), with the ticket the form's answer held.
A copy is only ever kept for the request it came with (one copy, once: an anonymous upload fills
nothing).

What can be told before the request is kept is told on the form, with everything typed: a copy that
is not a PDF, JPEG or PNG by its first bytes, or one that the body's length says is past 5 MB.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Literal

from aiohttp import BodyPartReader, MultipartReader, web

from common.bus import call
from common.contracts import registration as api
from common.errors import InvalidRequest

from .id_copy_parts import BODY_MAX, read_start, send_in_parts
from .state import bus_of
from .uploads import drop_part, read_text

FIELD = "id_copy"
PART_HEADERS = 16 * 1024
"""What a body holds besides its fields' and its file's bytes: boundaries and part headers (a few
hundred bytes a part, the file's name at most 255 characters, percent-encoded)."""

CopyProblem = Literal["not_a_document", "too_large"]


@dataclass
class PostedRegistration:
    """The form's text fields, and the copy's part when one was chosen (unread beyond its start)."""

    values: dict[str, str] = field(default_factory=dict)
    copy: BodyPartReader | None = None
    reader: MultipartReader | None = None
    text_bytes: int = 0
    head: bytearray = field(default_factory=bytearray)

    async def drop_rest(self) -> None:
        """Read what the browser still sends (the copy, any field after it) without keeping it."""
        if self.copy is not None:
            await drop_part(self.copy, BODY_MAX)
        if self.reader is not None:
            async for part in self.reader:
                if isinstance(part, BodyPartReader):
                    await drop_part(part, BODY_MAX)

    async def copy_problem(self, content_length: int | None) -> CopyProblem | None:
        """What the form must say of the copy before the request is kept: its first bytes are read."""
        assert self.copy is not None
        if not await read_start(self.copy, self.head):
            return "not_a_document"
        if content_length is not None and content_length > api.ID_COPY_MAX_BYTES + self.text_bytes + PART_HEADERS:
            return "too_large"
        return None


async def posted_registration(request: web.Request, names: tuple[str, ...]) -> PostedRegistration:
    """The text fields in `names` (each read up to its limit), up to the copy's part."""
    if request.content_type != "multipart/form-data":  # a form without its file field (or a test's)
        form = await request.post()
        return PostedRegistration({name: value for name, value in form.items() if isinstance(value, str)})
    if (request.content_length or 0) > BODY_MAX:
        raise web.HTTPRequestEntityTooLarge(max_size=BODY_MAX, actual_size=request.content_length or 0)
    reader = await request.multipart()
    posted, received = PostedRegistration(reader=reader), 0
    async for part in reader:
        if received > BODY_MAX:  # a body sent in chunks, of no announced length
            raise web.HTTPRequestEntityTooLarge(max_size=BODY_MAX, actual_size=received)
        received += 64  # its headers, at least: a flood of empty parts ends too
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        if part.filename is None and part.name in names and part.name not in posted.values:
            text, _ = await read_text(part)
            posted.values[part.name] = text
            posted.text_bytes += len(text.encode())
            received += len(text.encode())
        elif part.name == FIELD and part.filename:  # an empty file input sends a nameless, empty part
            posted.copy = part
            break
        else:
            received += await drop_part(part, BODY_MAX)
    return posted


async def send_copy(request: web.Request, ticket: str, posted: PostedRegistration) -> bool:
    """Hand the copy to identity with the request's ticket; whether it was whole and 5 MB at most."""
    assert posted.copy is not None

    async def send(seq: int, piece: bytes, last: bool) -> None:
        part = api.ApplicantCopyPart(ticket=ticket, seq=seq, data_b64=base64.b64encode(piece).decode(), last=last)
        await call(bus_of(request), api.STORE_APPLICANT_COPY, part)

    try:
        return await send_in_parts(posted.copy, posted.head, send)
    except InvalidRequest:
        return False
