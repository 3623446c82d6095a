"""Forms that carry files (a request, a reply, an answer): the text fields are read as they come,
each file is streamed to the requests service in parts of 256 KiB (one sealed chunk each) as
the browser sends it, so the gateway never holds a whole file, whatever its size or how many
upload at once.

A file the service refuses (not a PDF, JPEG or PNG by its first bytes, past 20 MiB), or one too
many, stops that file only: the rest of the body is read and dropped, and the form comes back
with everything typed and every file already taken.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import BodyPartReader, web
from multidict import MultiDict

from common.bus import call
from common.contracts import requests as api
from common.contracts.request_attachments import ATTACHMENT_MAX
from common.errors import InvalidRequest

from .sessions import current_token
from .state import bus_of
from .views.contents import base_name

FILE_FIELD = "files"
KEEP_FIELD = "keep_file"
"""A file already taken (a draft's, or one sent with a form that came back), ticked to keep it:
`<id>:<size>:<name>` (the name and size only to show it again; the service knows the file by id)."""
TEXT_MAX = 20_000
"""The longest text field of any form (the forms' own limits are smaller)."""
TEXT_FIELDS_MAX = 80
BODY_MAX = (api.MAX_ATTACHMENTS + 1) * ATTACHMENT_MAX
"""Past this, a body is not a form with its files but an attack on the bandwidth: refused whole."""
READ_SIZE = 64 * 1024

Refusal = Literal["not_a_file_type", "too_large", "too_many", "text_too_long"]


@dataclass(frozen=True)
class FileTaken:
    """A file the service holds for this form (its id goes with the message)."""

    id: str
    file_name: str
    size: int


@dataclass
class PostedForm:
    values: MultiDict[str] = field(default_factory=MultiDict)
    files: list[FileTaken] = field(default_factory=list)
    refused: Refusal | None = None

    def text(self, name: str) -> str:
        return self.values.get(name, "")

    def problems(self) -> dict[str, str]:
        """What the form says of what was refused while it was read (nothing was lost)."""
        if self.refused is None:
            return {}
        return {"form": "invalid"} if self.refused == "text_too_long" else {"files": self.refused}

    def kept_files(self) -> list[FileTaken]:
        kept = []
        for value in self.values.getall(KEEP_FIELD, []):
            file_id, _, rest = value.partition(":")
            size, _, name = rest.partition(":")
            kept.append(FileTaken(id=file_id, file_name=name, size=int(size) if size.isdigit() else 0))
        return kept

    def kept(self) -> list[str]:
        return [file.id for file in self.kept_files()]


async def posted_form(request: web.Request) -> PostedForm:
    """The form's text fields and the files it carried, each already with the requests service."""
    if request.content_type != "multipart/form-data":  # a form without a file field (or a test's)
        posted = await request.post()
        return PostedForm(values=MultiDict((name, value) for name, value in posted.items() if isinstance(value, str)))
    if (request.content_length or 0) > BODY_MAX:
        raise web.HTTPRequestEntityTooLarge(max_size=BODY_MAX, actual_size=request.content_length or 0)
    form, received = PostedForm(), 0
    async for part in await request.multipart():
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        if part.filename is None:
            if len(form.values) >= TEXT_FIELDS_MAX:
                continue
            text, whole = await read_text(part)
            if not whole:
                form.refused = form.refused or "text_too_long"
                received += await drop_part(part)
            form.values.add(part.name, text)
            continue
        if part.name != FILE_FIELD or not part.filename:  # an empty file input sends a nameless, empty part
            received += await drop_part(part)
            continue
        if form.refused is not None or len(form.files) + len(form.kept()) >= api.MAX_ATTACHMENTS:
            form.refused = form.refused or "too_many"
            received += await drop_part(part)
            continue
        taken = await _send(request, part, file_name(part.filename))
        if isinstance(taken, FileTaken):
            form.files.append(taken)
        else:
            form.refused = taken
            received += await drop_part(part)
        if received > BODY_MAX:
            raise web.HTTPRequestEntityTooLarge(max_size=BODY_MAX, actual_size=received)
    return form


async def _send(request: web.Request, part: BodyPartReader, name: str) -> FileTaken | Refusal | None:
    """Stream one file to the service a part at a time (each part must be known last or not when
    it goes, so one read ahead is kept); None if the browser sent no bytes for it."""
    upload, seq, size = str(uuid.uuid4()), 0, 0
    held, eof = bytearray(), False
    while True:
        while len(held) <= api.UPLOAD_PART_BYTES and not eof:
            chunk = await part.read_chunk(READ_SIZE)
            held += chunk
            eof = not chunk
        if not held and seq == 0:
            return None
        piece = bytes(held[: api.UPLOAD_PART_BYTES])
        del held[: api.UPLOAD_PART_BYTES]
        last = eof and not held
        sent = api.UploadPart(
            upload=upload, seq=seq, file_name=name, data_b64=base64.b64encode(piece).decode(), last=last
        )
        del piece
        try:
            done = await call(bus_of(request), api.UPLOAD_PART, sent, token=current_token(request))
        except InvalidRequest as refused:
            return "too_large" if refused.description == api.FILE_TOO_LARGE else "not_a_file_type"
        seq, size = seq + 1, done.size
        if last:
            break
    return FileTaken(id=upload, file_name=name, size=size)


async def read_text(part: BodyPartReader) -> tuple[str, bool]:
    """A text field, read up to TEXT_MAX characters (a longer one is cut there, never held whole);
    whether it was whole."""
    data = bytearray()
    while len(data) <= TEXT_MAX * 4 and (chunk := await part.read_chunk(READ_SIZE)):
        data += chunk
    text = data[: TEXT_MAX * 4].decode(part.get_charset(default="utf-8"), errors="replace")
    return text[:TEXT_MAX], len(data) <= TEXT_MAX * 4 and len(text) <= TEXT_MAX


async def drop_part(part: BodyPartReader, limit: int = BODY_MAX) -> int:
    """Read a part to its end without keeping it (the browser is still sending it), or past
    `limit` bytes; its size."""
    dropped = 0
    while chunk := await part.read_chunk(READ_SIZE):
        dropped += len(chunk)
        if dropped > limit:
            break
    return dropped


def file_name(sent: str) -> str:
    """The name a browser gave a file, as a name (no path, no control characters, at most 255)."""
    return base_name(sent, "fichier")[:255].strip() or "fichier"


def message_form(posted: PostedForm | None) -> dict[str, Any]:
    """What a reply's or an answer's form shows again when it came back: its text and its files."""
    if posted is None:
        return {"message_text": "", "files": []}
    return {"message_text": posted.text("text"), "files": [*posted.kept_files(), *posted.files]}
