"""Checking a document's content as the hospital sent it: encoding, size, checksum, real type."""
from __future__ import annotations

import base64
import binascii
import hashlib

from common.contracts.hospital import INLINE_CONTENT_MAX, InlineContent, ObjectContent

# What a physician's browser may be handed, with the bytes each kind of file starts with.
SIGNATURES = {"application/pdf": b"%PDF-"}


class InvalidContent(Exception):
    """The content cannot be delivered; the message says why, never what it contains."""


def inline_bytes(content: InlineContent | ObjectContent) -> bytes:
    """The decoded, verified bytes of an inline content."""
    if isinstance(content, ObjectContent):
        raise InvalidContent("contents in the Object Store are not accepted yet")
    try:
        data = base64.b64decode(content.data_b64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidContent("data_b64 is not valid base64") from None
    if len(data) > INLINE_CONTENT_MAX:
        raise InvalidContent("inline content larger than 512 KiB")
    check(content.media_type, content.sha256, data)
    return data


def check(media_type: str, sha256: str, data: bytes) -> None:
    if hashlib.sha256(data).hexdigest() != sha256.lower():
        raise InvalidContent("sha256 does not match the content")
    signature = SIGNATURES.get(media_type.lower())
    if signature is None:
        raise InvalidContent(f"media type {media_type!r} is not accepted")
    if not data.startswith(signature):
        raise InvalidContent(f"the content is not a {media_type} file")
