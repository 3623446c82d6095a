"""The requests service's request/reply subjects (the gateway asks them on a person's behalf).

The directory of the hospital's services and who works their inboxes (administrators); a
physician's drafts and requests, their threads, files and unread answers; the staff's inboxes.
And the one event it tells the portal's own processes (never the hospital): an answer arrived.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from .base import Empty, Event, Message, SignedEndpoint, hidden
from .documents import ContentChunk
from .hospital import CONTROL_CHARACTERS
from .hospital_requests import (
    MESSAGE_TEXT_MAX,
    SUBJECT_MAX,
    RequestKind,
    RequestPatient,
    Service,
    ServiceDomain,
    TypedPatient,
)
from .request_attachments import ATTACHMENT_MAX, AttachmentMediaType, FileName

MAX_ATTACHMENTS = 10
"""A message (a request's form, a reply, an answer) carries at most this many files (CONTRACT.md 1.1)."""
UPLOAD_PART_BYTES = 256 * 1024
"""A file travels from the gateway in parts of this size (the last one shorter): one sealed chunk each."""
FILE_NOT_A_DOCUMENT = "file: not a PDF, JPEG or PNG file"
FILE_TOO_LARGE = "file: larger than 20 MiB"
"""The two refusals of an upload, as the service says them (the gateway names them in the form)."""
"""A file travels from the gateway in parts of this size (the last one shorter): one sealed chunk each."""

AttachmentIds: Any = Field(default_factory=list, max_length=MAX_ATTACHMENTS)


class Typed(Message):
    """What a person types (a draft, a message, a file's name): no control characters but tab and
    line breaks, in any text or any text of a mapping, refused by field as the contract's are."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        texts = value.values() if isinstance(value, dict) else [value]
        if any(isinstance(text, str) and CONTROL_CHARACTERS.search(text) for text in texts):
            raise ValueError("control characters are not allowed")
        return value


class BoardSummary(Message):
    code: str
    name: str


class ServiceSummary(Message):
    code: str
    name: str
    domain: ServiceDomain
    accepts: list[RequestKind]
    boards: list[BoardSummary] = Field(default_factory=list)
    active: bool
    first_answer_median_seconds: int | None = Field(
        default=None,
        description="the usual time to a first answer: the median over the requests sent in the last 90 days "
        "and answered; None when there are none (or ListServices did not ask for it)",
    )


class ListServices(Message):
    include_inactive: bool = Field(default=False, description="administrators only; ignored for anyone else")
    with_response_times: bool = Field(default=False, description="each service's first_answer_median_seconds too")


class ServiceList(Message):
    services: list[ServiceSummary]


class ServiceSave(Service):
    """An administrator's version of a service (the contract's own checks: codes, lengths, no
    control characters); it replaces the kept one, whoever wrote that."""


class ServiceRef(Message):
    code: str = Field(min_length=1, max_length=64)


class ServiceMembers(Message):
    """The staff accounts that work a service's inbox (identity's account ids)."""

    code: str = Field(min_length=1, max_length=64)
    account_ids: list[str] = Field(default_factory=list, max_length=500)

    @field_validator("account_ids")
    @classmethod
    def _account_ids(cls, ids: list[str]) -> list[str]:
        return sorted({str(uuid.UUID(value)) for value in ids})  # ValueError: not an account id


LIST_SERVICES = SignedEndpoint("requests.api.services.list", ListServices, ServiceList)
SAVE_SERVICE = SignedEndpoint("requests.api.services.save", ServiceSave, ServiceSummary)
GET_MEMBERS = SignedEndpoint("requests.api.services.members.get", ServiceRef, ServiceMembers)
SET_MEMBERS = SignedEndpoint("requests.api.services.members.set", ServiceMembers, ServiceMembers)


Status = Literal["draft", "submitted", "received", "in_progress", "information_needed", "answered", "closed"]
"""A request's status in the portal: a draft, submitted, then as the service (or the hospital) sets it."""


class Draft(Typed):
    """A request as the physician writes it: saved as often as they like, until submitted.
    `fields` follow the kind's form (common/contracts/schemas), its required answers only at submission."""

    id: str | None = Field(default=None, max_length=64, description="None: a new draft")
    kind: RequestKind
    service: str = Field(min_length=1, max_length=64)
    domain: Literal["adults", "paediatrics"] | None = Field(default=None, description="the group of forms it came from")
    board: str | None = Field(default=None, max_length=64)
    subject: str = Field(default="", max_length=SUBJECT_MAX)
    urgency: Literal["routine", "urgent"] = "routine"
    fields: dict[str, str] = Field(default_factory=dict, max_length=30)
    patient: TypedPatient | None = Field(default=None, description="a patient typed by hand")
    attachments: list[str] | None = Field(
        default=None, max_length=MAX_ATTACHMENTS, description="the draft's files (uploaded ids); None: as they are"
    )
    my_patient: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="one of Mes patients, by the id Mes patients gives it: the requests service asks the "
        "documents service who it is, and whether the physician's",
    )

    @model_validator(mode="after")
    def _one_patient(self) -> Draft:
        if self.patient is not None and self.my_patient is not None:
            raise ValueError("a patient is chosen among Mes patients or typed, not both")
        return self


class RequestRef(Message):
    id: str = Field(min_length=1, max_length=64)


class AttachmentSummary(Message):
    """A file of a request or of a message in its thread, as the pages list it."""

    id: str
    file_name: str
    media_type: AttachmentMediaType
    size: int


class ThreadMessage(Message):
    author_kind: Literal["physician", "staff", "hospital"]
    author: str
    text: str
    needs_reply: bool
    sent_at: datetime
    attachments: list[AttachmentSummary] = Field(default_factory=list)


class RequestDetail(Message):
    id: str
    kind: RequestKind
    service: str
    service_name: str
    domain: Literal["adults", "paediatrics"] | None
    board: str | None
    subject: str
    urgency: Literal["routine", "urgent"]
    fields: dict[str, str]
    patient: RequestPatient | None = Field(
        description="the hospital's id when chosen among Mes patients, none when typed"
    )
    my_patient: str | None = Field(default=None, description="its id in Mes patients, when chosen there")
    status: Status
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    first_answer_at: datetime | None = None
    attachments: list[AttachmentSummary] = Field(default_factory=list, description="the files sent with the form")
    answer_unread: bool = Field(default=False, description="the service answered since the physician last opened it")
    messages: list[ThreadMessage] = Field(default_factory=list, description="the thread, oldest first (one request's)")


Period = Literal["30d", "3m", "12m"]
"""Changed in the last 30 days, 3 months or 12 months (calendar months), until now."""


class ListMyRequests(Message):
    """Mes demandes: one page of the physician's requests and drafts, the latest changed first, filtered."""

    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=25, ge=1, le=100)
    status: Status | None = None
    kind: RequestKind | None = None
    service: str | None = Field(default=None, min_length=1, max_length=64, description="a service's code")
    patient: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="each word found in the patient's family or given name, ignoring case and accents",
    )
    period: Period | None = Field(default=None, description="changed within this period")


class ServiceChoice(Message):
    code: str
    name: str


class MyRequests(Message):
    items: list[RequestDetail]
    total: int = Field(default=0, description="the requests matching the filters, on every page")
    page: int = 1
    per_page: int = 25
    services: list[ServiceChoice] = Field(
        default_factory=list, description="the services of all the physician's requests, by name: the filter's choices"
    )


class PhysicianReply(Typed):
    """The physician's message in a sent request's thread (what the service asked, or more)."""

    id: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=MESSAGE_TEXT_MAX)
    attachments: list[str] = AttachmentIds


class UploadPart(Typed):
    """A part of a file a physician or a service's member sends: `upload` is the file's id (a
    uuid the gateway chooses), parts come in order, each but the last exactly UPLOAD_PART_BYTES."""

    upload: str = Field(min_length=36, max_length=36)
    seq: int = Field(ge=0, lt=ATTACHMENT_MAX // UPLOAD_PART_BYTES + 1)
    file_name: str = FileName
    data_b64: str = Field(max_length=(UPLOAD_PART_BYTES + 2) // 3 * 4)
    last: bool


class Uploaded(Message):
    """The file so far; `complete` once its last part is in, then it may go with a message."""

    id: str
    complete: bool
    size: int
    media_type: AttachmentMediaType | None


class AttachmentRead(Message):
    """A part of a file of a request the caller may see (theirs, or their service's)."""

    request_id: str = Field(min_length=1, max_length=64)
    id: str = Field(min_length=1, max_length=64)
    offset: int = Field(default=0, ge=0, le=ATTACHMENT_MAX)


class UnreadAnswers(Message):
    requests: int = Field(description="the physician's requests answered since they last opened them")


# A physician's own: anyone else's, a missing one or a bad token all answer not found.
SAVE_DRAFT = hidden("requests.api.drafts.save", Draft, RequestDetail)
SUBMIT_REQUEST = hidden("requests.api.requests.submit", RequestRef, RequestDetail)
GET_REQUEST = hidden("requests.api.requests.get", RequestRef, RequestDetail)
LIST_MY_REQUESTS = hidden("requests.api.requests.mine", ListMyRequests, MyRequests)
REPLY = hidden("requests.api.requests.reply", PhysicianReply, RequestDetail)
# Files, for physicians and the services' members alike: an upload is its sender's until a
# message takes it; a file is read by whoever may see its request.
UPLOAD_PART = hidden("requests.api.attachments.part", UploadPart, Uploaded)
READ_ATTACHMENT = hidden("requests.api.attachments.read", AttachmentRead, ContentChunk)
COUNT_UNREAD_ANSWERS = hidden("requests.api.requests.unread", Empty, UnreadAnswers)
"""For the navigation on every page: one probe of a partial index."""


STREAM = "REQUESTS"
EVENTS = "requests.events.>"
"""The requests service's events for the portal's own processes (not the hospital's: PORTAL)."""


class AnswerArrived(Message):
    """A service (its staff, or the hospital's systems) answered a physician's request, or asked
    them something. Which request and whose, nothing else: no patient, no subject, no text."""

    event_id: str = Field(min_length=1, max_length=64)
    request_id: uuid.UUID
    account_id: uuid.UUID = Field(description="the physician's account, the only one who sees the request")
    physician: str = Field(min_length=5, max_length=40, description="gln:… or rpps:…, to find their contact")


ANSWER_ARRIVED = Event("requests.events.answered", AnswerArrived)
"""Published through the requests service's outbox, so kept on the REQUESTS stream: the gateways
hear it at once (the unread counter, live pages), notify reads it with its durable consumer (the
email), each after the answer's commit."""


# The services' staff (F3.4): the inboxes of the services they are members of.
Box = Literal["new", "mine", "waiting", "closed"]
"""new: sent and taken by no one; mine: taken by me, not closed; waiting: more asked of the physician; closed."""


class InboxQuery(Message):
    """One page of one box of a service's inbox: the urgent first, then the longest waiting."""

    service: str | None = Field(default=None, min_length=1, max_length=64, description="None: the member's first")
    box: Box = "new"
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=25, ge=1, le=100)


class InboxItem(Message):
    """A request as its box's page shows it, and nothing more (written by PostgreSQL: inboxes.py)."""

    id: str
    kind: RequestKind
    subject: str
    urgency: Literal["routine", "urgent"]
    status: Status
    physician_name: str
    patient_name: str | None = Field(description="family name then given name; None: the request names no patient")
    submitted_at: datetime | None
    taken_by_me: bool


class InboxService(Message):
    """A service the member works, as the inbox's choice of service shows it."""

    code: str
    name: str


class Inbox(Message):
    services: list[InboxService] = Field(default_factory=list, description="the services the member works, by name")
    service: str | None = Field(default=None, description="the one shown (None: the member works none)")
    items: list[InboxItem]
    total: int = Field(default=0, description="the box's requests, on every page")
    page: int = 1
    per_page: int = 25


class StaffStep(Message):
    """What a member does with a request: take it, or close it."""

    id: str = Field(min_length=1, max_length=64)
    step: Literal["take", "close"]


class StaffAnswer(Typed):
    """A member's answer, or a question to the physician (`needs_reply`)."""

    id: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=MESSAGE_TEXT_MAX)
    needs_reply: bool = False
    attachments: list[str] = AttachmentIds


MY_SERVICES = hidden("requests.api.staff.services", ListServices, ServiceList)
INBOX = hidden("requests.api.staff.inbox", InboxQuery, Inbox)
OPEN_FOR_STAFF = hidden("requests.api.staff.request", RequestRef, RequestDetail)
STAFF_STEP = hidden("requests.api.staff.step", StaffStep, RequestDetail)
STAFF_ANSWER = hidden("requests.api.staff.answer", StaffAnswer, RequestDetail)
