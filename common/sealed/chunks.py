"""A content stored as sealed chunks, from any source of byte pieces (the Object Store, a browser's
upload, bytes in memory).

Pieces are hashed, checked, re-cut into CHUNK_SIZE chunks, encrypted and written as they arrive,
so that no process holds a whole content in memory. A content that fails a check may have been
written in part: the caller rolls its transaction (or savepoint) back.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from common.db import Connection

from . import CHUNK_SIZE
from .checks import ContentRules, check_digest
from .keys import ChunkCipher
from .tables import SealedTables


@dataclass(frozen=True)
class StoredContent:
    size: int
    chunks: int
    sha256: str  # hex, lower case
    media_type: str  # lower case: as declared, or as recognised


async def whole(data: bytes) -> AsyncIterator[bytes]:
    """Bytes already in memory, as the one piece of a content."""
    yield data


async def store_sealed(
    conn: Connection,
    tables: SealedTables,
    cipher: ChunkCipher,
    pieces: AsyncIterator[bytes],
    rules: ContentRules,
    *,
    media_type: str | None,
    sha256: str | None,
) -> StoredContent:
    """Write the content as sealed chunks; raise InvalidContent (maybe after writing) if it fails a check.

    `media_type` None: the content's type is recognised among the accepted ones; `sha256` None:
    there is no announced digest to compare (the digest is returned).
    """
    head_size = rules.head_size if media_type is None else len(rules.signature(media_type))
    digest = hashlib.sha256()
    head = bytearray()  # the first bytes, to check the file's signature
    buffer = bytearray()
    pending: bytes | None = None  # held back one chunk, to know which is last
    seq = size = 0
    recognised: str | None = None  # the content's type, once its first bytes were checked

    async def write(chunk: bytes, last: bool) -> None:
        nonlocal seq
        await tables.write_chunk(conn, cipher, seq, chunk, last)
        seq += 1

    async for piece in pieces:
        size += len(piece)
        rules.check_size(size)
        digest.update(piece)
        if len(head) < head_size:
            head += piece[: head_size - len(head)]
            if len(head) == head_size:
                recognised = rules.check_start(head, media_type)
        buffer += piece
        while len(buffer) >= CHUNK_SIZE:
            if pending is not None:
                await write(pending, last=False)
            pending = bytes(buffer[:CHUNK_SIZE])
            del buffer[:CHUNK_SIZE]
    if buffer or pending is None:
        if pending is not None:
            await write(pending, last=False)
        pending = bytes(buffer)
    await write(pending, last=True)

    if sha256 is not None:
        check_digest(digest.hexdigest(), sha256)
    return StoredContent(
        size=size,
        chunks=seq,
        sha256=digest.hexdigest(),
        # A content shorter than the head is checked only now.
        media_type=recognised if recognised is not None else rules.check_start(head, media_type),
    )
