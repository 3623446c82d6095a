"""Audit records: every service publishes its own on `audit.record.<service>` (JetStream, AUDIT stream).

The audit service stores them in a tamper-evident chain and forwards each, as a FHIR R4
AuditEvent, on `portal.audit`. A record names people and documents by id only: no patient
data, no secrets.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .base import Message

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
    "profile.saved",
    "registration.submitted",
    "registration.control_sent",
    "registration.control_confirmed",
    "registration.validated",
    "registration.login_created",
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
