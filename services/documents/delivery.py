"""The delivery rule of F1.2: who receives a document, and if no one, why."""

from __future__ import annotations

from dataclasses import dataclass

from common.contracts.hospital import DocumentMeta, UndeliveredReason
from common.contracts.undelivered import detail


@dataclass(frozen=True)
class Designation:
    physician: str
    active: bool
    electronic_consent: bool


@dataclass(frozen=True)
class Recipient:
    """A physician the document goes to, once their account is checked."""

    physician: str


@dataclass(frozen=True)
class Refusal:
    reason: UndeliveredReason
    detail: str


def document_refusal(document: DocumentMeta) -> Refusal | None:
    """Checks on the document itself, before anyone is considered."""
    if document.status != "final":
        return Refusal("not_final", detail("preliminary"))
    if not document.communicating:
        return Refusal("not_communicating", detail("not_communicating"))
    return None


def designated_recipients(designations: list[Designation]) -> list[Recipient | Refusal]:
    """For each designation of the episode, a recipient or the reason it is not one."""
    if not designations:
        return [Refusal("no_designation", detail("no_designation"))]
    outcomes: list[Recipient | Refusal] = []
    for designation in designations:
        if not designation.active:
            outcomes.append(
                Refusal("designation_revoked", detail("designation_revoked", physician=designation.physician))
            )
        elif not designation.electronic_consent:
            outcomes.append(Refusal("no_consent", detail("no_consent", physician=designation.physician)))
        else:
            outcomes.append(Recipient(designation.physician))
    return outcomes


def account_refusal(physician: str, known: bool, activated: bool) -> Refusal | None:
    """The last check: the recipient must have an activated account (F5.5)."""
    if not known:
        return Refusal("physician_unknown", detail("physician_unknown", physician=physician))
    if not activated:
        return Refusal("physician_not_activated", detail("physician_not_activated", physician=physician))
    return None
