"""A document's content as the hospital sent it, checked and stored encrypted in chunks.

Inline contents and Object Store contents go through the same pipeline: pieces are hashed,
re-cut into CHUNK_SIZE chunks, encrypted and written as they arrive, so that no process holds a
whole document in memory. The caller's transaction is rolled back if a check fails at the end.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from common.contracts.documents import CHUNK_SIZE
from common.contracts.hospital import INLINE_CONTENT_MAX, InlineContent
from common.db import Connection

from .crypto import ContentCipher

MAX_SIZE = 50 * 1024 * 1024

# What a physician's browser may be handed, with the bytes each kind of file starts with.
SIGNATURES = {"application/pdf": b"%PDF-"}


class InvalidContent(Exception):
    """The content cannot be delivered; the message says why, never what it contains."""


def inline_bytes(content: InlineContent) -> bytes:
    """The decoded bytes of an inline content, checked in memory (it is at most 512 KiB)."""
    try:
        data = base64.b64decode(content.data_b64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidContent("data_b64 is not valid base64") from None
    if len(data) > INLINE_CONTENT_MAX:
        raise InvalidContent("inline content larger than 512 KiB")
    if hashlib.sha256(data).hexdigest() != content.sha256.lower():
        raise InvalidContent("sha256 does not match the content")
    signature = check_media_type(content.media_type)
    if not data.startswith(signature):
        raise InvalidContent(f"the content is not a {content.media_type} file")
    return data


async def whole(data: bytes) -> AsyncIterator[bytes]:
    """Bytes already in memory, as the one piece of a content."""
    yield data


def check_media_type(media_type: str) -> bytes:
    """The signature contents of this type start with; refuses types browsers must not be given."""
    signature = SIGNATURES.get(media_type.lower())
    if signature is None:
        raise InvalidContent(f"media type {media_type!r} is not accepted")
    return signature


@dataclass(frozen=True)
class StoredContent:
    size: int
    chunks: int


async def store_encrypted(
    conn: Connection,
    cipher: ContentCipher,
    pieces: AsyncIterator[bytes],
    media_type: str,
    sha256: str,
) -> StoredContent:
    """Write the content as encrypted chunks; raise InvalidContent (after writing) if it fails a check."""
    signature = check_media_type(media_type)
    digest = hashlib.sha256()
    head = bytearray()  # the first bytes, to check the file's signature
    buffer = bytearray()
    pending: bytes | None = None  # held back one chunk, to know which is last
    seq = size = 0

    async def write(chunk: bytes, last: bool) -> None:
        nonlocal seq
        await conn.execute(
            "INSERT INTO content_chunks (document_id, version, seq, data) VALUES ($1, $2, $3, $4)",
            cipher.document_id,
            cipher.version,
            seq,
            cipher.seal(seq, chunk, last),
        )
        seq += 1

    async for piece in pieces:
        size += len(piece)
        if size > MAX_SIZE:
            raise InvalidContent("content larger than 50 MiB")
        digest.update(piece)
        if len(head) < len(signature):
            head += piece[: len(signature) - len(head)]
            if len(head) == len(signature) and head != signature:
                raise InvalidContent(f"the content is not a {media_type} file")
        buffer += piece
        while len(buffer) >= CHUNK_SIZE:
            if pending is not None:
                await write(pending, last=False)
            pending, buffer = bytes(buffer[:CHUNK_SIZE]), buffer[CHUNK_SIZE:]
    if buffer or pending is None:
        if pending is not None:
            await write(pending, last=False)
        pending = bytes(buffer)
    await write(pending, last=True)

    if digest.hexdigest() != sha256.lower():
        raise InvalidContent("sha256 does not match the content")
    if head != signature:
        raise InvalidContent(f"the content is not a {media_type} file")
    return StoredContent(size=size, chunks=seq)
