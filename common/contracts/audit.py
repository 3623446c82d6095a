"""Audit records: every service publishes its own on `audit.record.<service>` (JetStream, AUDIT stream).

The audit service stores them in a tamper-evident chain and forwards each, as a FHIR R4
AuditEvent, on `portal.audit`. A record names people and documents by id only: no patient
data, no secrets.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .base import Empty, Endpoint, Message, hidden

SUBJECT_PREFIX = "audit.record."

Action = Literal[
    "login.password",
    "login.code",
    "login.hin",
    "account.created",
    "account.hin_linked",
    "account.hin_unlinked",
    "logout",
    "account.locked",
    "account.unlock_asked",
    "account.unlocked",
    "account.deactivated",
    "account.reactivated",
    "account.password_reset",
    "account.app_reset",
    "account.mobile_control_sent",
    "password.changed",
    "mobile.changed",
    "password.recovery_asked",
    "password.recovered",
    "support.message_received",
    "profile.saved",
    "registration.submitted",
    "registration.control_sent",
    "registration.control_confirmed",
    "registration.validated",
    "registration.login_created",
    "registration.refused",
    "registration.id_copy_stored",
    "registration.id_copy_viewed",
    "application.saved",
    "application.enrolment_requested",
    "application.enrolment_granted",
    "application.enrolment_refused",
    "application.opened",
    "service.saved",
    "service.members_changed",
    "request.submitted",
    "request.status_changed",
    "request.answered",
    "request.message_sent",
    "request.attachment_opened",
    "document.delivered",
    "document.undelivered",
    "document.viewed",
    "document.downloaded",
    "message.rejected",
    "notification.email_sent",
]


def subject_for(service: str) -> str:
    return SUBJECT_PREFIX + service


class Party(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Literal["physician", "staff", "hospital", "system", "anonymous"]
    id: str | None = None


class Entity(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Literal["account", "session", "document", "message", "registration", "application", "service", "request"]
    id: str | None = None
    version: int | None = None


class AuditRecord(Message):
    event_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    recorded_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    action: Action
    outcome: Literal["success", "failure"]
    actor: Party
    entity: Entity | None = None
    client_ip: str | None = None
    detail: str = Field(default="", max_length=500)


class ReceivedEntity(Entity):
    kind: str = Field(pattern=r"^[a-z_]{1,40}$")  # type: ignore[assignment]


class ReceivedAuditRecord(AuditRecord):
    """An audit record as the audit service takes it: an action or entity kind it does not know yet
    (a newer service, during a rolling deployment) is kept, not refused; the list above is what
    producers may write, checked where they write it."""

    action: str = Field(pattern=r"^[a-z_]{1,40}(\.[a-z_]{1,40}){0,3}$")  # type: ignore[assignment]
    entity: ReceivedEntity | None = None


# -- The chain's checkpoints and alarms, for the hospital and operations (PORTAL stream) -----------

CHECKPOINT = "portal.audit.checkpoint"
ALARM = "portal.audit.alarm"

CHECKPOINT_VERSION = "portal.audit.checkpoint:v1"
"""The first part of the text a checkpoint's signature covers (`Checkpoint.signed_text`)."""


class Checkpoint(Message):
    """The chain's head, signed: the hospital keeps these, so that a chain rewritten in the
    database, hashes and all, no longer matches what was signed before (README, "Audit trail")."""

    seq: int = Field(ge=1)
    """The newest record's sequence number."""
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    """Its hash (SHA-256, lowercase hex), which covers every record before it."""
    signed_at: str = Field(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
    """When it was signed, UTC, to the microsecond: the text as signed."""
    key_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    """The signing key: the first 8 bytes of the SHA-256 of its raw 32-byte public key, in hex."""
    signature: str = Field(min_length=1, max_length=200)
    """Ed25519 signature of `signed_text()`, base64."""

    def signed_text(self) -> bytes:
        """What the signature covers: `portal.audit.checkpoint:v1:<seq>:<hash>:<signed_at>`, UTF-8."""
        return f"{CHECKPOINT_VERSION}:{self.seq}:{self.hash}:{self.signed_at}".encode()


ChainProblem = Literal["altered", "unlinked", "inserted", "rewritten", "missing", "bad_checkpoint"]


class ChainAlarm(Message):
    """The audit service found its chain broken (its scheduled check, or before a checkpoint)."""

    event_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    checked_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    problem: ChainProblem
    seq: int | None
    """The first bad record's sequence number (what a checkpoint names, for a checkpoint's problem)."""
    description: str = Field(max_length=500)
    """In words, never a record's contents."""


# -- Reading the log: administrators search it, a physician sees their own activity -----------------

ACCOUNT_ID_MAX = 64
ENTITY_ID_MAX = 200


class RecordSearch(Message):
    """For administrators: the records about an account (its actor or its subject), of an action,
    in a period (days in Europe/Zurich, both included), naming an entity; newest first."""

    account: str | None = Field(default=None, min_length=1, max_length=ACCOUNT_ID_MAX)
    action: str | None = Field(default=None, pattern=r"^[a-z_]{1,40}(\.[a-z_]{1,40}){0,3}$")
    recorded_from: date | None = None
    recorded_to: date | None = None
    entity: str | None = Field(default=None, min_length=1, max_length=ENTITY_ID_MAX)
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=50, ge=1, le=200)


class RecordItem(Message):
    seq: int
    recorded_at: datetime
    source: str
    action: str
    outcome: str
    actor_kind: str
    actor_id: str | None
    entity_kind: str | None
    entity_id: str | None
    entity_version: int | None
    client_ip: str | None
    detail: str


class RecordPage(Message):
    items: list[RecordItem]
    total: int
    page: int
    per_page: int


ActivityKind = Literal["logins", "documents", "sessions"]

ACTIVITY_ACTIONS: dict[str, tuple[str, ...]] = {
    "logins": ("login.password", "login.code", "login.hin"),
    "documents": ("document.viewed", "document.downloaded"),
    "sessions": ("logout",),
}
"""What "Mon activité" shows of the records whose actor is the physician. Of `login.password`
only the refusals: its success is the first step, the login is its `login.code`."""


class ActivityQuery(Message):
    """A physician's own activity (the caller's, from the token), newest first."""

    kind: ActivityKind | None = None
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=25, ge=1, le=100)


class ActivityItem(Message):
    recorded_at: datetime
    action: str
    outcome: str
    client_ip: str | None
    document_id: str | None
    """The hospital's id of a document opened."""
    document_version: int | None
    detail: str
    """Why a login was refused, how a session ended (from another session); "" otherwise."""


class ActivityPage(Message):
    items: list[ActivityItem]
    total: int
    page: int
    per_page: int


class CheckpointKey(Message):
    """The public key that verifies the checkpoints (PEM, SubjectPublicKeyInfo) and its id."""

    pem: str
    key_id: str


# Administrators' (the token in the header): anyone else's answer is not found.
SEARCH_RECORDS = hidden("audit.api.records.search", RecordSearch, RecordPage)
# A physician's own (the token in the header).
MY_ACTIVITY = hidden("audit.api.activity.mine", ActivityQuery, ActivityPage)
# Public: the gateway serves it at /.well-known/audit-checkpoint-key.pem.
GET_CHECKPOINT_KEY = Endpoint("audit.api.checkpoint_key", Empty, CheckpointKey)
