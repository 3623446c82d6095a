"""The hospital side of the bus, as CONTRACT.md (version 1) describes it.

Subjects and models for what the hospital publishes (`dpi.*`) and what the portal publishes
back (`portal.*`). The portal never requires more than the contract, and refuses a field the
contract does not name, at any level: a misspelt optional field (`manuel` for `manual`) would
otherwise change what happens to a document without a word.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_serializer

from .physicians import PhysicianRef

STREAM_DPI = "DPI"
STREAM_PORTAL = "PORTAL"

DESIGNATIONS = "dpi.designations"
DOCUMENTS = "dpi.documents"

DELIVERED = "portal.documents.delivered"
UNDELIVERED = "portal.documents.undelivered"
READ = "portal.documents.read"
AUDIT = "portal.audit"
REJECTED = "portal.rejected"

INLINE_CONTENT_MAX = 512 * 1024
CATEGORIES = ("discharge_letter", "consultation_report", "operative_report", "imaging_report", "lab_report", "other")

NonEmpty = Field(min_length=1, max_length=200)
VERSION_MAX = 2**31 - 1
"""A PostgreSQL integer: a larger version failed to be stored, five times over 30 s, as an outage would."""


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""C0 controls but tab, line feed and carriage return, and DEL: never text. PostgreSQL refuses NUL."""


class ContractMessage(BaseModel):
    """A message of CONTRACT.md, either way: the contract's fields and none other, no control characters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        """A control character in a hospital's text is a content error, named by field and rule."""
        if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
            raise ValueError("control characters are not allowed")
        return value


class Patient(ContractMessage):
    id: str = NonEmpty
    family_name: str = NonEmpty
    given_name: str = NonEmpty
    birth_date: date
    sex: Literal["female", "male", "other", "unknown"]


class Recipient(PhysicianRef):
    """A physician as the hospital names one: its number, and nothing the contract does not name."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Episode(ContractMessage):
    id: str = NonEmpty
    kind: Literal["stay", "outpatient"]
    service: str = NonEmpty


class DesignationMessage(ContractMessage):
    """`dpi.designations`: a patient designates (or revokes) a recipient for one episode."""

    event_id: str = NonEmpty
    action: Literal["designate", "revoke"]
    episode: Episode
    patient: Patient
    physician: Recipient
    electronic_consent: bool
    recorded_at: AwareDatetime


class DocumentMeta(ContractMessage):
    id: str = NonEmpty
    version: int = Field(ge=1, le=VERSION_MAX)
    category: str
    title: str = Field(min_length=1, max_length=500)
    service: str = NonEmpty
    author: str = NonEmpty
    status: Literal["final", "preliminary"]
    communicating: bool
    created_at: AwareDatetime

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        return value if value in CATEGORIES else "other"


class InlineContent(ContractMessage):
    media_type: str = NonEmpty
    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$")
    data_b64: str = Field(max_length=(INLINE_CONTENT_MAX * 4) // 3 + 4)


class ObjectContent(ContractMessage):
    media_type: str = NonEmpty
    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$")
    object: str = NonEmpty


class ManualSending(ContractMessage):
    recipient: Recipient
    sent_by: str = NonEmpty
    patient_authorization: str = Field(min_length=1, max_length=2000)


class DocumentMessage(ContractMessage):
    """`dpi.documents`: a document of the patient's record."""

    event_id: str = NonEmpty
    document: DocumentMeta
    episode_id: str = NonEmpty
    patient: Patient
    content: InlineContent | ObjectContent
    manual: ManualSending | None = None


INCOMING: dict[str, type[ContractMessage]] = {DESIGNATIONS: DesignationMessage, DOCUMENTS: DocumentMessage}
"""Every message the hospital publishes, by subject (the documents service consumes each)."""


class _PortalEvent(ContractMessage):
    @model_serializer(mode="wrap")
    def _physician_as_contract(self, handler: Any) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        physician = getattr(self, "physician", None)
        if isinstance(physician, PhysicianRef):
            data["physician"] = physician.model_dump_contract()
        return data


class DocumentDelivered(_PortalEvent):
    event_id: str
    document_id: str
    version: int
    physician: PhysicianRef
    delivered_at: datetime


UndeliveredReason = Literal[
    "not_final",
    "not_communicating",
    "no_designation",
    "no_consent",
    "designation_revoked",
    "physician_unknown",
    "physician_not_activated",
    "invalid_content",
]


class DocumentUndelivered(_PortalEvent):
    event_id: str
    document_id: str
    version: int
    reason: UndeliveredReason
    detail: str


class DocumentRead(_PortalEvent):
    event_id: str
    document_id: str
    version: int
    physician: PhysicianRef
    read_at: datetime


class Rejected(_PortalEvent):
    event_id: str | None
    subject: str
    reason: str
