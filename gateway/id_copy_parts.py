"""A copy of an identity document as a browser uploads it (the applicant's with the public form, or
a validator's), handed to identity in parts of 512 KB as it comes (a bus message carries at most
1 MB): the gateway holds one part and the bytes read ahead of it, never the whole copy."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import BodyPartReader

from common.contracts import registration as api

from .uploads import READ_SIZE

BODY_MAX = 2 * api.ID_COPY_MAX_BYTES
"""Past this, a body is no form with a copy (and its text): refused whole, unread."""

SendPart = Callable[[int, bytes, bool], Awaitable[object]]
"""Sends one part to identity: its position, its bytes, whether it is the last."""


async def read_start(copy: BodyPartReader, head: bytearray) -> bool:
    """Read the copy's first part into `head`; whether it starts as a PDF, JPEG or PNG."""
    while len(head) <= api.ID_COPY_PART_BYTES and (chunk := await copy.read_chunk(READ_SIZE)):
        head += chunk
    return api.id_copy_media_type(bytes(head[:16])) is not None


async def send_in_parts(copy: BodyPartReader, head: bytearray, send: SendPart) -> bool:
    """Send the copy (its start in `head`) a part at a time; False once it is past 5 MB: its last
    part never goes, and identity keeps nothing of it (parts waiting are forgotten within the hour)."""
    seq, size = 0, 0
    async for piece, last in _parts(copy, head):
        size += len(piece)
        if size > api.ID_COPY_MAX_BYTES:
            return False
        await send(seq, piece, last)
        seq += 1
    return True


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
