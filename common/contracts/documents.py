"""Requests the documents service answers for the gateway (each carries the session token),
and the events it announces to the gateway.

Ids given to the browser (`DocumentSummary.id`, `PatientSummary.id`) are opaque, random and
only meaningful to their recipient: someone else's id answers the same "not found" as an id
that does not exist.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from common import sealed

from .base import Empty, Endpoint, Message, hidden
from .hospital import Patient

DELIVERED_EVENT_PREFIX = "documents.events.delivered."
"""Core NATS, no payload worth reading: `documents.events.delivered.<account id>` after a delivery."""

CHUNK_SIZE = sealed.CHUNK_SIZE
"""Contents travel in chunks of this size, one stored chunk each: no process holds a whole document in memory."""

Category = Literal[
    "discharge_letter", "consultation_report", "operative_report", "imaging_report", "lab_report", "other"
]
DocumentsScope = Literal["all", "unread", "last_12_months"]
"""Which documents Mes documents shows (the physician's profile, F6 d)."""
PatientsScope = Literal["all", "with_unread", "last_3_months", "last_6_months", "last_12_months"]
"""Which patients Mes patients shows (the physician's profile, F6 c): all, those with an unread
document, or those with a document in the last 3, 6 or 12 months."""
PATIENTS_PERIOD_MONTHS: dict[str, int] = {"last_3_months": 3, "last_6_months": 6, "last_12_months": 12}
"""The months a period scope of Mes patients looks back (a patient with a document since then shows)."""

OpaqueId = Field(min_length=1, max_length=64)


class ListDocuments(Message):
    """Mes documents, or one patient's documents (`patient`), newest first, with filters."""

    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=25, ge=1, le=100)
    scope: DocumentsScope = "all"
    patient: str | None = Field(default=None, min_length=1, max_length=64)
    created_from: date | None = None
    created_to: date | None = None
    category: Category | None = None
    service: str | None = Field(default=None, min_length=1, max_length=200)
    unread_only: bool = False
    patient_name: str | None = Field(default=None, min_length=1, max_length=100, description="ignores case and accents")
    with_counters: bool = Field(default=False, description="also answer the unread counters (spares a request)")


class ListedDocument(Message):
    """A row of a documents list: what the list shows of a delivered version; `id` is the
    delivery's opaque id. A page carries 25 of them: nothing the list does not show."""

    id: str
    patient_id: str
    patient_name: str
    patient_birth_date: date
    patient_hospital_id: str = Field(description="the hospital's patient id: tells namesakes apart")
    title: str
    category: str
    service: str
    created_at: datetime = Field(description="the document's own date, the hospital's")
    delivered_at: datetime = Field(description="when the portal received it: the lists' order")
    unread: bool
    corrected: bool = Field(description="a newer version than the first one: the hospital corrected it")


class DocumentSummary(ListedDocument):
    """One delivered document version as its recipient sees it, on its own page."""

    author: str
    version: int
    current: bool = Field(description="the newest version this physician received")
    media_type: str
    size: int


class UnreadCounters(Message):
    documents: int
    patients: int


class DocumentPage(Message):
    items: list[ListedDocument]
    total: int
    page: int
    per_page: int
    services: list[str] = Field(description="every service the physician has documents from, for the filter")
    counters: UnreadCounters | None = None


class ListPatients(Message):
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=25, ge=1, le=100)
    scope: PatientsScope = "all"
    name: str | None = Field(default=None, min_length=1, max_length=100, description="ignores case and accents")


class PatientSummary(Message):
    id: str
    name: str
    birth_date: date
    hospital_id: str = Field(description="the hospital's patient id: tells namesakes apart")
    documents: int
    unread: int
    last_document_at: datetime


class PatientPage(Message):
    items: list[PatientSummary]
    total: int
    page: int
    per_page: int


class PatientLookup(Message):
    """Is this patient one of the physician's (Mes patients: a current document of theirs)? Asked by
    the requests service for the patient a physician chose in a request's form."""

    account_id: str = Field(min_length=1, max_length=64, description="the physician's account, from their token")
    patient: str = Field(min_length=1, max_length=64, description="the id Mes patients gives the patient")


class GetDocument(Message):
    id: str = OpaqueId


class DocumentDetail(Message):
    """A document with every version the physician received, newest first."""

    document: DocumentSummary
    versions: list[DocumentSummary]


class GetContent(Message):
    """One chunk of a document's content; reading offset 0 counts as opening it (audit, read receipt)."""

    id: str = OpaqueId
    disposition: Literal["view", "download"]
    offset: int = Field(default=0, ge=0)


class DocumentName(Message):
    """What a document's download name is made of; the gateway writes the category in the reader's language."""

    created_at: datetime = Field(description="the document's own date; the gateway names its day where the reader is")
    category: str
    patient: str = Field(description='"DUPONT Jean": the family name in capitals')
    extension: str


class ContentChunk(Message):
    media_type: str
    filename: str
    named: DocumentName | None = Field(
        default=None, description="a document's parts for a name in the reader's language"
    )
    size: int
    offset: int
    data_b64: str
    last: bool


class MarkDocument(Message):
    id: str = OpaqueId
    read: bool


class MarkedAllRead(Message):
    """How many of the caller's unread documents "Mark all as read" marked read."""

    marked: int


class ListUndelivered(Message):
    """For administrators: documents that reached no physician (metadata only, never contents)."""

    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=50, ge=1, le=200)
    reason: str | None = Field(default=None, max_length=40)
    service: str | None = Field(default=None, max_length=200)
    recorded_from: date | None = None
    recorded_to: date | None = None


class UndeliveredItem(Message):
    document_id: str
    version: int
    service: str | None
    title: str | None
    reason: str
    detail: str
    recorded_at: datetime


class UndeliveredPage(Message):
    items: list[UndeliveredItem]
    total: int
    page: int
    per_page: int
    services: list[str]


class DocumentVersionRef(Message):
    """A document as the hospital and the audit log name it: its id and version."""

    document_id: str = Field(min_length=1, max_length=200)
    version: int = Field(ge=1, le=2**31 - 1)


class NameDocuments(Message):
    """The documents a physician's audit records name ("Mon activité"): which they received."""

    documents: list[DocumentVersionRef] = Field(max_length=100)


class NamedDocument(Message):
    document_id: str
    version: int
    id: str
    """The delivery's id: the document's page for the physician."""
    title: str


class NamedDocuments(Message):
    """Those of the documents asked that the caller received; the others are left out."""

    items: list[NamedDocument]


# Each from a session (the token in the header). A bad token gets the same answer as someone
# else's document: not found.
LIST_DOCUMENTS = hidden("documents.api.list", ListDocuments, DocumentPage)
LIST_PATIENTS = hidden("documents.api.patients", ListPatients, PatientPage)
GET_DOCUMENT = hidden("documents.api.get", GetDocument, DocumentDetail)
READ_CONTENT = hidden("documents.api.content", GetContent, ContentChunk)
MARK_DOCUMENT = hidden("documents.api.mark", MarkDocument, Empty)
MARK_ALL_READ = hidden("documents.api.mark_all_read", Empty, MarkedAllRead)
COUNT_UNREAD = hidden("documents.api.counters", Empty, UnreadCounters)
LIST_UNDELIVERED = hidden("documents.api.undelivered", ListUndelivered, UndeliveredPage)
NAME_DOCUMENTS = hidden("documents.api.names", NameDocuments, NamedDocuments)

# From other services (NATS permissions decide which): the patient as the hospital describes them,
# hospital id included, if they are the physician's; anyone else's, or no one, is not found.
FIND_PATIENT = Endpoint("documents.svc.patient", PatientLookup, Patient)
