"""The requests service's request/reply subjects (the gateway asks them on a person's behalf).

The directory of the hospital's services and who works their inboxes (administrators); a
physician's drafts and requests, their threads and unread answers; the staff's inboxes. And the
one event it tells the portal's own processes (never the hospital): an answer arrived.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from .base import Empty, Event, Message, SignedEndpoint, hidden
from .hospital_requests import MESSAGE_TEXT_MAX, SUBJECT_MAX, RequestKind, Service, ServiceDomain, TypedPatient


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


class ListServices(Message):
    include_inactive: bool = Field(default=False, description="administrators only; ignored for anyone else")


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


class Draft(Message):
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
    patient: TypedPatient | None = None


class RequestRef(Message):
    id: str = Field(min_length=1, max_length=64)


class ThreadMessage(Message):
    author_kind: Literal["physician", "staff", "hospital"]
    author: str
    text: str
    needs_reply: bool
    sent_at: datetime


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
    patient: TypedPatient | None
    status: Status
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    first_answer_at: datetime | None = None
    answer_unread: bool = Field(default=False, description="the service answered since the physician last opened it")
    messages: list[ThreadMessage] = Field(default_factory=list, description="the thread, oldest first (one request's)")


class ListMyRequests(Message):
    status: Status | None = None
    kind: RequestKind | None = None


class MyRequests(Message):
    items: list[RequestDetail]


class PhysicianReply(Message):
    """The physician's message in a sent request's thread (what the service asked, or more)."""

    id: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=MESSAGE_TEXT_MAX)


class UnreadAnswers(Message):
    requests: int = Field(description="the physician's requests answered since they last opened them")


# A physician's own: anyone else's, a missing one or a bad token all answer not found.
SAVE_DRAFT = hidden("requests.api.drafts.save", Draft, RequestDetail)
SUBMIT_REQUEST = hidden("requests.api.requests.submit", RequestRef, RequestDetail)
GET_REQUEST = hidden("requests.api.requests.get", RequestRef, RequestDetail)
LIST_MY_REQUESTS = hidden("requests.api.requests.mine", ListMyRequests, MyRequests)
REPLY = hidden("requests.api.requests.reply", PhysicianReply, RequestDetail)
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
    service: str = Field(min_length=1, max_length=64)
    box: Box = "new"


class InboxItem(Message):
    id: str
    kind: RequestKind
    subject: str
    urgency: Literal["routine", "urgent"]
    status: Status
    physician_name: str
    patient: TypedPatient | None
    submitted_at: datetime | None
    taken_by_me: bool


class Inbox(Message):
    items: list[InboxItem]


class StaffStep(Message):
    """What a member does with a request: take it, or close it."""

    id: str = Field(min_length=1, max_length=64)
    step: Literal["take", "close"]


class StaffAnswer(Message):
    """A member's answer, or a question to the physician (`needs_reply`)."""

    id: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=MESSAGE_TEXT_MAX)
    needs_reply: bool = False


MY_SERVICES = hidden("requests.api.staff.services", ListServices, ServiceList)
INBOX = hidden("requests.api.staff.inbox", InboxQuery, Inbox)
OPEN_FOR_STAFF = hidden("requests.api.staff.request", RequestRef, RequestDetail)
STAFF_STEP = hidden("requests.api.staff.step", StaffStep, RequestDetail)
STAFF_ANSWER = hidden("requests.api.staff.answer", StaffAnswer, RequestDetail)
