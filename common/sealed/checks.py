"""What an owner accepts as content: media types recognised by their first bytes, and a size limit.

A refusal says why, never what the content contains.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

KIB = 1024
MIB = 1024 * KIB

# What a browser may be handed, with the bytes each kind of file starts with.
SIGNATURES = {
    "application/pdf": b"%PDF-",
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
}


class InvalidContent(Exception):
    """The content cannot be kept; the message says why, never what it contains."""


def _in_words(size: int) -> str:
    for unit, name in ((MIB, "MiB"), (KIB, "KiB")):
        if size % unit == 0:
            return f"{size // unit} {name}"
    return f"{size} bytes"


def media_type_of(head: bytes | bytearray, among: Iterable[str] = SIGNATURES) -> str | None:
    """The media type, among `among`, a content starting with `head` is (by its bytes, never by a
    name or a declared type); None if it is none of them."""
    return next((media_type for media_type in sorted(among) if head.startswith(SIGNATURES[media_type])), None)


def check_digest(actual_hex: str, expected_hex: str) -> None:
    """Refuse a content whose SHA-256 is not the one its sender announced."""
    if actual_hex != expected_hex.lower():
        raise InvalidContent("sha256 does not match the content")


@dataclass(frozen=True)
class ContentRules:
    """The media types an owner accepts (among SIGNATURES) and the largest content it keeps."""

    media_types: frozenset[str]
    max_size: int

    def __post_init__(self) -> None:
        unknown = self.media_types - SIGNATURES.keys()
        if unknown or not self.media_types:
            raise ValueError(f"media types must be some of {sorted(SIGNATURES)}, not {sorted(unknown)}")
        if self.max_size <= 0:
            raise ValueError("max_size must be positive")

    @property
    def head_size(self) -> int:
        """How many first bytes tell the accepted media types apart."""
        return max(len(SIGNATURES[media_type]) for media_type in self.media_types)

    def signature(self, media_type: str) -> bytes:
        """The bytes contents of this type start with; refuses a type the owner does not accept."""
        if media_type.lower() not in self.media_types:
            raise InvalidContent(f"media type {media_type!r} is not accepted")
        return SIGNATURES[media_type.lower()]

    def check_size(self, size: int) -> None:
        if size > self.max_size:
            raise InvalidContent(f"content larger than {_in_words(self.max_size)}")

    def check_start(self, head: bytes | bytearray, media_type: str | None) -> str:
        """The content's media type, from its first bytes: the declared one if it starts as that type
        should, or (`media_type` None, a browser's upload) the accepted type it starts as."""
        if media_type is not None:
            if not head.startswith(self.signature(media_type)):
                raise InvalidContent(f"the content is not a {media_type} file")
            return media_type.lower()
        recognised = media_type_of(head, self.media_types)
        if recognised is None:
            raise InvalidContent(f"the content is none of {', '.join(sorted(self.media_types))}")
        return recognised
