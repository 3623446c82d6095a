"""The public registration form with the copy of the applicant's identity document (for a check by
video call): its text fields are read as they come; the file, the form's last field, is handed to
identity in parts of 512 KB as the browser sends it, with the ticket the form's answer held. The
gateway never holds more than a part and its next bytes, and a copy is only ever kept for the
request it came with (one copy, once: an anonymous upload fills nothing).

What can be told before the request is kept is told on the form, with everything typed: a copy that
is not a PDF, JPEG or PNG by its first bytes, or one that the body's length says is past 5 MB.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal

from aiohttp import BodyPartReader, MultipartReader, web

from common.bus import call
from common.contracts import registration as api
from common.errors import InvalidRequest

from .state import bus_of
from .uploads import READ_SIZE, drop_part, read_text

FIELD = "id_copy"
BODY_MAX = 2 * api.ID_COPY_MAX_BYTES
"""Past this, a body is no registration form with its copy: refused whole, unread."""
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
        while len(self.head) <= api.ID_COPY_PART_BYTES and (chunk := await self.copy.read_chunk(READ_SIZE)):
            self.head += chunk
        if api.id_copy_media_type(bytes(self.head[:16])) is None:
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
    """Hand the copy to identity, part after part as it comes; whether it was whole and 5 MB at
    most (past that, its last part never goes, and nothing of it is kept)."""
    assert posted.copy is not None
    seq, size = 0, 0
    async for piece, last in _parts(posted.copy, posted.head):
        size += len(piece)
        if size > api.ID_COPY_MAX_BYTES:
            return False
        sent = api.ApplicantCopyPart(ticket=ticket, seq=seq, data_b64=base64.b64encode(piece).decode(), last=last)
        try:
            await call(bus_of(request), api.STORE_APPLICANT_COPY, sent)
        except InvalidRequest:
            return False
        seq += 1
    return seq > 0


async def _parts(copy: BodyPartReader, held: bytearray) -> AsyncIterator[tuple[bytes, bool]]:
    """The copy in parts of ID_COPY_PART_BYTES, each with whether it is the last (one read ahead)."""
    eof = False
    while True:
        while len(held) <= api.ID_COPY_PART_BYTES and not eof:
            chunk = await copy.read_chunk(READ_SIZE)
            held += chunk
            eof = not chunk
        piece = bytes(held[: api.ID_COPY_PART_BYTES])
        del held[: api.ID_COPY_PART_BYTES]
        last = eof and not held
        yield piece, last
        if last:
            return
