"""Registration for SMS login (F5.3): the fields of the paper form, checked where they are typed
(the gateway, to show each field's problem) and again where they are kept (identity)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import EmailStr, Field, StringConstraints, model_validator

from common.sealed.checks import media_type_of

from .accounts import LoginName
from .base import ClientIp, Endpoint, Message, hidden
from .notifications import RegistrationRefusalReason
from .phones import MobileNumber
from .physicians import Gln, Rpps

ID_COPY_MAX_BYTES = 5 * 1024 * 1024
ID_COPY_PART_BYTES = 512 * 1024


def id_copy_media_type(data: bytes) -> str | None:
    """What a copy is, by its first bytes (never by a file name or a declared type); None if it is
    not a PDF, JPEG or PNG."""
    return media_type_of(data, ("application/pdf", "image/jpeg", "image/png"))


State = Literal["submitted", "validated", "login_created", "refused"]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
OptionalText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


class RegistrationForm(Message):
    """The applicant's section of the form; every field is required but the address's second line."""

    family_name: Text
    given_name: Text
    street: Text
    address_extra: OptionalText = ""
    postcode: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{4,5}$")]
    city: Text
    country: Literal["CH", "FR"]
    email: EmailStr
    mobile: MobileNumber
    gln: Gln | None = None
    rpps: Rpps | None = None
    screening_access: bool = Field(description="asks for the cancer screening application (MC-SIS, specific charter)")
    signed_place: Text
    signed: Literal[True] = Field(description="the applicant certifies the form, in place of a signature")

    @model_validator(mode="after")
    def _one_number(self) -> RegistrationForm:
        if (self.gln is None) == (self.rpps is None):
            raise ValueError("give a GLN (Switzerland) or an RPPS number (France)")
        return self


class RegistrationSubmission(Message):
    """What the gateway sends: the form and where it came from (for the audit and the limits)."""

    form: RegistrationForm
    client_ip: ClientIp = ""
    locale: str = Field(
        default="fr", pattern=r"^[a-z]{2}(-[A-Z]{2})?$", description="the form's language: the applicant's emails'"
    )
    id_copy: bool = Field(default=False, description="a copy of the identity document follows (STORE_APPLICANT_COPY)")


class RegistrationReceived(Message):
    """The same answer whether the number was new or known (its owner is then told by email)."""

    reference: str = Field(
        description="short, to quote to the support and the validator; a known number's names nothing"
    )
    id_copy_ticket: str | None = Field(
        default=None,
        description="when a copy follows: what its parts are sent with, good for one copy of this request "
        "(a known number's is good for nothing, and answered the same)",
    )


class QueueQuery(Message):
    state: State | None = "submitted"


class RequestSummary(Message):
    id: str
    reference: str
    state: State
    family_name: str
    given_name: str
    number: str = Field(description="gln:<13 digits> or rpps:<11 digits>")
    submitted_at: datetime


class RequestQueue(Message):
    items: list[RequestSummary]


class RequestRef(Message):
    id: str = Field(min_length=1, max_length=64)


class RequestDetail(RequestSummary):
    street: str
    address_extra: str
    postcode: str
    city: str
    country: str
    email: str
    mobile: str
    screening_access: bool
    signed_place: str
    check_method: Literal["in_person", "video_call"] | None
    id_document_number: str | None
    control_sent_at: datetime | None
    control_confirmed_at: datetime | None
    validator_name: str | None
    validated_place: str | None
    validated_at: datetime | None
    login: str | None = None
    login_created_by_name: str | None = None
    login_created_at: datetime | None = None
    id_copy_media_type: str | None = None
    id_copy_size: int | None = None
    id_copy_uploaded_at: datetime | None = None
    id_copy_from_applicant: bool = Field(default=False, description="the copy came with the applicant's form")
    refusal_reason: RegistrationRefusalReason | None = None
    refusal_note: str | None = None
    refuser_name: str | None = None
    refused_at: datetime | None = None


class ControlCode(RequestRef):
    code: str = Field(min_length=1, max_length=20)


class Validation(RequestRef):
    """The validator's signature of the identity check."""

    check_method: Literal["in_person", "video_call"]
    id_document_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=40)]
    validator_name: Text
    place: Text


class RequestRefusal(RequestRef):
    """A validator refuses a request: the applicant is told the reason by email; the note stays here."""

    reason: RegistrationRefusalReason
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class LoginCreation(RequestRef):
    """The administrator's section: the login name of a validated request (the creator is the caller)."""

    login: LoginName


class IdCopyPart(RequestRef):
    """One part of the ID document's copy, in order; the last one stores the whole, sealed."""

    upload: str = Field(min_length=36, max_length=36, description="the same for every part of one copy")
    seq: int = Field(ge=0, lt=ID_COPY_MAX_BYTES // ID_COPY_PART_BYTES + 1)
    data_b64: str = Field(min_length=1, max_length=(ID_COPY_PART_BYTES * 4) // 3 + 4)
    last: bool


class ApplicantCopyPart(Message):
    """One part of the copy the applicant sends with the form, in order, with the form's ticket."""

    ticket: str = Field(min_length=36, max_length=36)
    seq: int = Field(ge=0, lt=ID_COPY_MAX_BYTES // ID_COPY_PART_BYTES + 1)
    data_b64: str = Field(min_length=1, max_length=(ID_COPY_PART_BYTES * 4) // 3 + 4)
    last: bool


class IdCopyReceived(Message):
    stored: bool = Field(description="true once the last part came and the whole copy is kept")


class IdCopyRead(RequestRef):
    offset: int = Field(default=0, ge=0, le=ID_COPY_MAX_BYTES)


class IdCopyChunk(Message):
    """ID_COPY_PART_BYTES of the kept copy from `offset`; `last` when the copy ends there."""

    media_type: str
    size: int
    data_b64: str
    last: bool


# Anyone's: the public form.
SUBMIT_REGISTRATION = Endpoint("identity.api.registration.submit", RegistrationSubmission, RegistrationReceived)
STORE_APPLICANT_COPY = Endpoint("identity.api.registration.applicant_copy", ApplicantCopyPart, IdCopyReceived)
# Validators' and administrators' (the token in the header; identity checks the role).
LIST_REQUESTS = hidden("identity.api.registration.queue", QueueQuery, RequestQueue)
GET_REQUEST = hidden("identity.api.registration.detail", RequestRef, RequestDetail)
SEND_CONTROL_SMS = hidden("identity.api.registration.control.send", RequestRef, RequestDetail)
CONFIRM_CONTROL = hidden("identity.api.registration.control.confirm", ControlCode, RequestDetail)
SIGN_VALIDATION = hidden("identity.api.registration.sign", Validation, RequestDetail)
CREATE_LOGIN = hidden("identity.api.registration.login", LoginCreation, RequestDetail)
REFUSE_REQUEST = hidden("identity.api.registration.refuse", RequestRefusal, RequestDetail)
STORE_ID_COPY_PART = hidden("identity.api.registration.id_copy", IdCopyPart, IdCopyReceived)
READ_ID_COPY = hidden("identity.api.registration.id_copy.read", IdCopyRead, IdCopyChunk)
