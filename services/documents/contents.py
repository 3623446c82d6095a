"""Where documents keeps contents (common/sealed stores them), and which contents it accepts.

Inline contents and Object Store contents go through the same sealed-storage pipeline; an inline
one (at most 512 KiB) is checked in memory first.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import AsyncIterator

from common.contracts.hospital import INLINE_CONTENT_MAX, InlineContent
from common.db import Connection
from common.sealed.checks import MIB, ContentRules, InvalidContent, check_digest
from common.sealed.chunks import StoredContent, store_sealed
from common.sealed.keys import ChunkCipher
from common.sealed.tables import SealedTables

# A physician's browser is handed PDFs only, of up to 50 MiB (CONTRACT.md).
RULES = ContentRules(media_types=frozenset({"application/pdf"}), max_size=50 * MIB)

# Migration 001: each version's wrapped data key in `documents`, its chunks in `content_chunks`.
TABLES = SealedTables(keys="documents", chunks="content_chunks", id_column="document_id")


def inline_bytes(content: InlineContent) -> bytes:
    """The decoded bytes of an inline content, checked in memory (it is at most 512 KiB)."""
    try:
        data = base64.b64decode(content.data_b64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidContent("data_b64 is not valid base64") from None
    if len(data) > INLINE_CONTENT_MAX:
        raise InvalidContent("inline content larger than 512 KiB")
    check_digest(hashlib.sha256(data).hexdigest(), content.sha256)
    RULES.check_start(data, content.media_type)
    return data


async def seal_content(
    conn: Connection, cipher: ChunkCipher, pieces: AsyncIterator[bytes], media_type: str, sha256: str
) -> StoredContent:
    """Store a document version's content sealed, as it arrives; InvalidContent if it fails a check."""
    return await store_sealed(conn, TABLES, cipher, pieces, RULES, media_type=media_type, sha256=sha256)
