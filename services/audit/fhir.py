"""An audit record as a FHIR R4 AuditEvent, the form the hospital's EHR stores.

Codes: the event type from DICOM (DCM), the subtype from DCM (login, logout) or FHIR's
restful-interaction codes (what was done to a document), the action as C/R/U/D/E.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_serializer

from .chain import Entry

DCM = "http://dicom.nema.org/resources/ontology/DCM"
REST = "http://hl7.org/fhir/restful-interaction"
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"

_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_ID_NAMESPACE = uuid.UUID("6f1d1c0e-5a43-4e4c-9a55-0d0b7c1e2a77")


class _Element(BaseModel):
    """FHIR JSON: camelCase names, and no member at all rather than a null."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, serialize_by_alias=True)

    @model_serializer(mode="wrap")
    def _without_nulls(self, handler: Any) -> dict[str, Any]:
        return {key: value for key, value in handler(self).items() if value is not None}


class Coding(_Element):
    system: str
    code: str
    display: str | None = None


class CodeableConcept(_Element):
    coding: list[Coding] | None = None
    text: str | None = None


class Identifier(_Element):
    value: str


class Reference(_Element):
    identifier: Identifier | None = None
    display: str | None = None


class Network(_Element):
    address: str
    type: Literal["1", "2", "3", "4", "5"] = "2"  # 2: IP address


class Agent(_Element):
    type: CodeableConcept | None = None
    who: Reference | None = None
    requestor: bool
    network: Network | None = None


class Source(_Element):
    observer: Reference
    type: list[Coding] | None = None


class EntityDetail(_Element):
    type: str
    value_string: str = Field(alias="valueString")


class AuditEntity(_Element):
    what: Reference | None = None
    type: Coding | None = None
    detail: list[EntityDetail] | None = None


class AuditEvent(_Element):
    resource_type: Literal["AuditEvent"] = Field(default="AuditEvent", alias="resourceType")
    id: str
    type: Coding
    subtype: list[Coding] | None = None
    action: Literal["C", "R", "U", "D", "E"]
    recorded: datetime
    outcome: Literal["0", "4", "8", "12"]
    outcome_desc: str | None = Field(default=None, alias="outcomeDesc")
    agent: list[Agent]
    source: Source
    entity: list[AuditEntity] | None = None


USER_AUTHENTICATION = Coding(system=DCM, code="110114", display="User Authentication")
PATIENT_RECORD = Coding(system=DCM, code="110110", display="Patient Record")
EXPORT = Coding(system=DCM, code="110106", display="Export")
IMPORT = Coding(system=DCM, code="110107", display="Import")
APPLICATION_ACTIVITY = Coding(system=DCM, code="110100", display="Application Activity")
SECURITY_ALERT = Coding(system=DCM, code="110113", display="Security Alert")
LOGIN = Coding(system=DCM, code="110122", display="Login")
LOGOUT = Coding(system=DCM, code="110123", display="Logout")
CREATE = Coding(system=REST, code="create", display="create")
READ = Coding(system=REST, code="read", display="read")

# action -> (type, subtypes, FHIR action)
EVENT_TYPES: dict[str, tuple[Coding, list[Coding], str]] = {
    "login.password": (USER_AUTHENTICATION, [LOGIN], "E"),
    "login.code": (USER_AUTHENTICATION, [LOGIN], "E"),
    "login.hin": (USER_AUTHENTICATION, [LOGIN], "E"),
    "account.created": (APPLICATION_ACTIVITY, [CREATE], "C"),
    "account.hin_linked": (APPLICATION_ACTIVITY, [], "U"),
    "account.hin_unlinked": (SECURITY_ALERT, [], "U"),
    "logout": (USER_AUTHENTICATION, [LOGOUT], "E"),
    "account.locked": (SECURITY_ALERT, [], "E"),
    "account.unlock_asked": (SECURITY_ALERT, [], "E"),
    "account.unlocked": (APPLICATION_ACTIVITY, [], "U"),
    "account.deactivated": (APPLICATION_ACTIVITY, [], "U"),
    "account.reactivated": (APPLICATION_ACTIVITY, [], "U"),
    "account.password_reset": (APPLICATION_ACTIVITY, [], "U"),
    "account.app_reset": (SECURITY_ALERT, [], "U"),
    "account.mobile_control_sent": (APPLICATION_ACTIVITY, [], "E"),
    "password.changed": (USER_AUTHENTICATION, [], "U"),
    "mobile.changed": (USER_AUTHENTICATION, [], "U"),
    "profile.saved": (APPLICATION_ACTIVITY, [], "U"),
    "registration.submitted": (APPLICATION_ACTIVITY, [CREATE], "C"),
    "registration.control_sent": (APPLICATION_ACTIVITY, [], "E"),
    "registration.control_confirmed": (APPLICATION_ACTIVITY, [], "E"),
    "registration.validated": (APPLICATION_ACTIVITY, [], "U"),
    "registration.login_created": (APPLICATION_ACTIVITY, [CREATE], "C"),
    "registration.refused": (APPLICATION_ACTIVITY, [], "U"),
    "password.recovery_asked": (SECURITY_ALERT, [], "E"),
    "password.recovered": (USER_AUTHENTICATION, [], "U"),
    "support.message_received": (APPLICATION_ACTIVITY, [CREATE], "C"),
    "registration.id_copy_stored": (APPLICATION_ACTIVITY, [CREATE], "C"),
    "registration.id_copy_viewed": (APPLICATION_ACTIVITY, [READ], "R"),
    "application.saved": (APPLICATION_ACTIVITY, [], "U"),
    "application.enrolment_requested": (APPLICATION_ACTIVITY, [CREATE], "C"),
    "application.enrolment_granted": (APPLICATION_ACTIVITY, [], "U"),
    "application.enrolment_refused": (APPLICATION_ACTIVITY, [], "U"),
    "application.opened": (USER_AUTHENTICATION, [EXPORT], "E"),
    "service.saved": (APPLICATION_ACTIVITY, [], "U"),
    "service.members_changed": (SECURITY_ALERT, [], "U"),
    "request.submitted": (PATIENT_RECORD, [CREATE], "C"),
    "request.status_changed": (PATIENT_RECORD, [], "U"),
    "request.answered": (PATIENT_RECORD, [CREATE], "C"),
    "request.message_sent": (PATIENT_RECORD, [CREATE], "C"),
    "request.attachment_opened": (PATIENT_RECORD, [READ], "R"),
    "document.delivered": (PATIENT_RECORD, [CREATE], "C"),
    "document.undelivered": (PATIENT_RECORD, [CREATE], "C"),
    "document.viewed": (PATIENT_RECORD, [READ], "R"),
    "document.downloaded": (EXPORT, [READ], "R"),
    "message.rejected": (IMPORT, [], "E"),
    "notification.email_sent": (APPLICATION_ACTIVITY, [], "E"),
}
_UNKNOWN_ACTION: tuple[Coding, list[Coding], str] = (APPLICATION_ACTIVITY, [], "E")

APPLICATION_SERVER = Coding(system=SOURCE_TYPE, code="4", display="Application Server")
PERSON = Coding(system=ENTITY_TYPE, code="1", display="Person")
SYSTEM_OBJECT = Coding(system=ENTITY_TYPE, code="2", display="System Object")


def resource_id(event_id: str) -> str:
    """The event id when FHIR accepts it as a resource id, else a stable UUID derived from it."""
    return event_id if _FHIR_ID.match(event_id) else str(uuid.uuid5(_ID_NAMESPACE, event_id))


def audit_event(entry: Entry) -> AuditEvent:
    """The AuditEvent the hospital receives for one stored audit record."""
    event_type, subtypes, action = EVENT_TYPES.get(entry.action, _UNKNOWN_ACTION)
    who = (
        Reference(identifier=Identifier(value=entry.actor_id))
        if entry.actor_id
        else Reference(display=entry.actor_kind)
    )
    agent = Agent(
        type=CodeableConcept(text=entry.actor_kind),
        who=who,
        requestor=True,
        network=Network(address=entry.client_ip) if entry.client_ip else None,
    )
    return AuditEvent(
        id=resource_id(entry.event_id),
        type=event_type,
        subtype=subtypes or None,
        action=action,
        recorded=entry.recorded_at,
        outcome="0" if entry.outcome == "success" else "4",
        outcome_desc=entry.detail or None,
        agent=[agent],
        source=Source(observer=Reference(display=f"portal-{entry.source}"), type=[APPLICATION_SERVER]),
        entity=[_entity(entry)] if entry.entity_kind else None,
    )


def _entity(entry: Entry) -> AuditEntity:
    version = (
        [EntityDetail(type="version", value_string=str(entry.entity_version))]
        if entry.entity_version is not None
        else None
    )
    return AuditEntity(
        what=Reference(identifier=Identifier(value=entry.entity_id)) if entry.entity_id else None,
        type=PERSON if entry.entity_kind == "account" else SYSTEM_OBJECT,
        detail=version,
    )
