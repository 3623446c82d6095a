"""The requests part of the hospital contract (CONTRACT.md version 1.1): the directory of the
hospital's services, requests and their threads, both ways.

The portal's requests service consumes `dpi.services` and `dpi.requests.*` (`INCOMING`) and
publishes `portal.requests.*` (`OUTGOING`). Every text is bounded and refuses control characters
(`ContractMessage`); each message has its JSON Schema in `common/contracts/schemas/`, generated
from these models (`python -m common.contracts.schemas --write`).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal, get_args

from pydantic import AwareDatetime, Field, JsonValue, WithJsonSchema, model_validator

from .hospital import ContractMessage, NonEmpty, Patient
from .physicians import Gln, PhysicianRef, Rpps
from .request_attachments import Attachment
from .schemas import fields_problems, fields_schema_name, file_name

SERVICES = "dpi.services"
STATUS_FROM_HOSPITAL = "dpi.requests.status"
ANSWER = "dpi.requests.answer"

SUBMITTED = "portal.requests.submitted"
PHYSICIAN_MESSAGE = "portal.requests.message"
STATUS_FROM_STAFF = "portal.requests.status"

RequestKind = Literal["consultation", "tumor_board", "message"]
ServiceDomain = Literal["adults", "paediatrics", "both"]
Sex = Literal["female", "male", "other", "unknown"]
RequestStatus = Literal["received", "in_progress", "information_needed", "answered", "closed"]

ServiceCode = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
"""A service's or a board's code: short, printable, no spaces (it names the service in URLs and logs)."""

SUBJECT_MAX = 200
MESSAGE_TEXT_MAX = 20_000
"""A message in a thread: about ten pages of text, far more than a letter, far less than a file."""
ATTACHMENTS_MAX = 10


class Board(ContractMessage):
    """A tumor board a service runs."""

    code: str = ServiceCode
    name: str = NonEmpty


class Service(ContractMessage):
    code: str = ServiceCode
    name: str = NonEmpty
    domain: ServiceDomain
    accepts: list[RequestKind] = Field(max_length=3)
    boards: list[Board] = Field(default_factory=list, max_length=50)
    active: bool


class ServiceMessage(ContractMessage):
    """`dpi.services`: a service that receives requests, upserted by `code`; `active: false` hides
    it from new requests (existing threads stay)."""

    event_id: str = NonEmpty
    service: Service
    recorded_at: AwareDatetime


class StatusChange(ContractMessage):
    """A request's new status: `dpi.requests.status` when the hospital's systems set it,
    `portal.requests.status` when the service's staff did in the portal (`by`: their login)."""

    event_id: str = NonEmpty
    request_id: str = NonEmpty
    status: RequestStatus
    changed_at: AwareDatetime
    by: str = NonEmpty


class HospitalMessage(ContractMessage):
    """A message the hospital writes in a request's thread."""

    id: str = NonEmpty
    text: str = Field(min_length=1, max_length=MESSAGE_TEXT_MAX)
    author: str = NonEmpty
    sent_at: AwareDatetime


class HospitalAnswer(ContractMessage):
    """`dpi.requests.answer`: an answer (status `answered`) or, with `needs_reply`, a question
    (status `information_needed`) from the hospital in a request's thread."""

    event_id: str = NonEmpty
    request_id: str = NonEmpty
    message: HospitalMessage
    needs_reply: bool = False
    attachments: list[Attachment] = Field(default_factory=list, max_length=ATTACHMENTS_MAX)


ContractGln = Annotated[Gln, WithJsonSchema({"type": "string", "pattern": "^[0-9]{13}$", "maxLength": 13})]
ContractRpps = Annotated[Rpps, WithJsonSchema({"type": "string", "pattern": "^[0-9]{11}$", "maxLength": 11})]


class PhysicianByGln(ContractMessage):
    """The contract's `physician` (`{"gln"}`) with the physician's names."""

    gln: ContractGln
    family_name: str = NonEmpty
    given_name: str = NonEmpty


class PhysicianByRpps(ContractMessage):
    """The contract's `physician` (`{"rpps"}`) with the physician's names."""

    rpps: ContractRpps
    family_name: str = NonEmpty
    given_name: str = NonEmpty


NamedPhysician = PhysicianByGln | PhysicianByRpps
"""`physician + {"family_name", "given_name"}`: exactly one number, as the contract writes it."""


def named_physician(physician: PhysicianRef, family_name: str, given_name: str) -> NamedPhysician:
    """The contract's physician with names, from the portal's reference (one number, as `model_dump_contract`)."""
    if physician.gln is not None:
        return PhysicianByGln(gln=physician.gln, family_name=family_name, given_name=given_name)
    return PhysicianByRpps(rpps=physician.rpps or "", family_name=family_name, given_name=given_name)


class TypedPatient(ContractMessage):
    """A patient the physician typed by hand: the contract's `patient` with `"id": null`."""

    id: None
    family_name: str = NonEmpty
    given_name: str = NonEmpty
    birth_date: date
    sex: Sex


RequestPatient = Patient | TypedPatient
"""The contract's `patient` of a request: one of the physician's patients (the hospital's id), or typed."""


def _kind_is(kind: str) -> dict[str, JsonValue]:
    return {"properties": {"kind": {"const": kind}}, "required": ["kind"]}


def _fields_of(kind: str) -> dict[str, JsonValue]:
    return {"if": _kind_is(kind), "then": {"properties": {"fields": {"$ref": file_name(fields_schema_name(kind))}}}}


KIND_RULES: list[JsonValue] = [
    {
        "if": _kind_is("tumor_board"),
        "then": {"properties": {"board": {"not": {"type": "null"}}}},
        "else": {"properties": {"board": {"type": "null"}}},
    },
    *(_fields_of(kind) for kind in get_args(RequestKind)),
]
"""What `Request`'s validator checks, for its JSON Schema (`allOf`): the board of a tumor board
only, and `fields` as the kind's schema says (its file, beside the message's, by the same base URI).
The schemas' generator adds them: pydantic would take the `$ref` for one of its own."""


class Request(ContractMessage):
    """A submitted request; `fields` holds the form's answers as the kind's JSON Schema says."""

    id: str = NonEmpty
    kind: RequestKind
    service: str = ServiceCode
    domain: Literal["adults", "paediatrics"] | None
    board: str | None = ServiceCode
    subject: str = Field(min_length=1, max_length=SUBJECT_MAX)
    urgency: Literal["routine", "urgent"]
    submitted_at: AwareDatetime
    fields: dict[str, Any]

    @model_validator(mode="after")
    def _board_and_fields_of_the_kind(self) -> Request:
        if (self.board is not None) != (self.kind == "tumor_board"):
            raise ValueError("a tumor_board request names its board, and only it does")
        problems = fields_problems(self.kind, self.fields)
        if problems:
            raise ValueError(f"fields do not follow the {self.kind} form: {problems}")
        return self


class SubmittedRequest(ContractMessage):
    """`portal.requests.submitted`: a physician submitted a request or a new thread (drafts never are)."""

    event_id: str = NonEmpty
    request: Request
    patient: RequestPatient | None
    physician: NamedPhysician
    attachments: list[Attachment] = Field(max_length=ATTACHMENTS_MAX)


class PhysicianMessageText(ContractMessage):
    """A physician's message in a thread (its author is the request's physician)."""

    id: str = NonEmpty
    text: str = Field(min_length=1, max_length=MESSAGE_TEXT_MAX)
    sent_at: AwareDatetime


class PhysicianMessage(ContractMessage):
    """`portal.requests.message`: a physician's message in an existing request's thread."""

    event_id: str = NonEmpty
    request_id: str = NonEmpty
    message: PhysicianMessageText
    attachments: list[Attachment] = Field(max_length=ATTACHMENTS_MAX)


INCOMING: dict[str, type[ContractMessage]] = {
    SERVICES: ServiceMessage,
    STATUS_FROM_HOSPITAL: StatusChange,
    ANSWER: HospitalAnswer,
}
"""What the hospital publishes for the requests service, by subject (it consumes each; the
documents service leaves them to it)."""

OUTGOING: dict[str, type[ContractMessage]] = {
    SUBMITTED: SubmittedRequest,
    PHYSICIAN_MESSAGE: PhysicianMessage,
    STATUS_FROM_STAFF: StatusChange,
}
"""What the requests service publishes for the hospital, by subject."""
