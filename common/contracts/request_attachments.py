"""A request's attachment as the contract (1.1) writes it, both ways: inline up to 512 KiB, else
an object in the Object Store (`portal-attachments` from the portal, `dpi-documents` from the
hospital). PDF, JPEG or PNG, up to 20 MiB each; a message carries at most 10.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .hospital import ContractMessage, NonEmpty

ATTACHMENTS_BUCKET = "portal-attachments"
INLINE_ATTACHMENT_MAX = 512 * 1024
ATTACHMENT_MAX = 20 * 1024 * 1024

AttachmentMediaType = Literal["application/pdf", "image/jpeg", "image/png"]

FileName = Field(min_length=1, max_length=255)
"""As long as a file system's name may be."""
Sha256 = Field(pattern=r"^[0-9a-fA-F]{64}$", max_length=64)


class _AttachmentFacts(ContractMessage):
    id: str = NonEmpty
    file_name: str = FileName
    media_type: AttachmentMediaType
    size: int = Field(ge=1, le=ATTACHMENT_MAX)
    sha256: str = Sha256


class InlineAttachment(_AttachmentFacts):
    """An attachment of at most 512 KiB, its bytes in the message (base64)."""

    size: int = Field(ge=1, le=INLINE_ATTACHMENT_MAX)
    data_b64: str = Field(min_length=4, max_length=(INLINE_ATTACHMENT_MAX + 2) // 3 * 4)


class StoredAttachment(_AttachmentFacts):
    """An attachment of up to 20 MiB, its bytes in the Object Store under `object`."""

    object: str = NonEmpty


Attachment = InlineAttachment | StoredAttachment
