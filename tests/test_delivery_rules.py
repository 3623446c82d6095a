"""The delivery rule (F1.2): each way a document can fail to reach a physician, with its reason."""

from __future__ import annotations

import asyncpg
import pytest

from deploy.stack import Stack

from .portal import Hospital, Physicians, PortalEvents, eventually, metric, metric_grows, random_gln


async def _undelivered_reason(portal_events: PortalEvents, sent: dict) -> str:
    event = await portal_events.wait_for("portal.documents.undelivered", document_id=sent["document"]["id"])
    assert portal_events.matching("portal.documents.delivered", document_id=sent["document"]["id"]) == []
    return event["reason"]


async def test_document_without_designation_waits_then_is_reported_after_30_days(
    hospital: Hospital, portal_events: PortalEvents, documents_db: asyncpg.Pool
) -> None:
    sent = await hospital.episode().document()
    document_id = sent["document"]["id"]

    async def waiting() -> bool | None:
        return await documents_db.fetchval("SELECT true FROM pending_documents WHERE document_id = $1", document_id)

    await eventually(waiting, what="the document waiting for its designation")
    assert portal_events.matching("portal.documents.undelivered", document_id=document_id) == []
    # 30 days pass (the test moves the document's clock; the service sweeps every second here)
    await documents_db.execute(
        "UPDATE pending_documents SET since = now() - interval '30 days 1 minute' WHERE document_id = $1", document_id
    )
    assert await _undelivered_reason(portal_events, sent) == "no_designation"
    assert await waiting() is None


async def test_document_before_its_designation_is_delivered_when_the_designation_comes(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians, documents_db: asyncpg.Pool
) -> None:
    doctor = await physicians.create()
    episode = hospital.episode()
    sent = await episode.document()

    async def waiting() -> bool | None:
        return await documents_db.fetchval(
            "SELECT true FROM pending_documents WHERE document_id = $1", sent["document"]["id"]
        )

    await eventually(waiting, what="the document waiting for its designation")
    await episode.designate(doctor.gln)
    delivered = await portal_events.wait_for("portal.documents.delivered", document_id=sent["document"]["id"])
    assert delivered["physician"] == {"gln": doctor.gln}


async def test_document_without_consent_is_not_delivered(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    episode = hospital.episode()
    await episode.designate(doctor.gln, consent=False)
    sent = await episode.document()
    assert await _undelivered_reason(portal_events, sent) == "no_consent"


@pytest.mark.parametrize(
    ("options", "reason"),
    [({"communicating": False}, "not_communicating"), ({"status": "preliminary"}, "not_final")],
)
async def test_document_that_is_not_for_sending_is_not_delivered(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians, options: dict, reason: str
) -> None:
    doctor = await physicians.create()
    episode = hospital.episode()
    await episode.designate(doctor.gln)
    sent = await episode.document(**options)
    assert await _undelivered_reason(portal_events, sent) == reason


async def test_document_after_revocation_is_not_delivered(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    episode = hospital.episode()
    await episode.designate(doctor.gln)
    await episode.designate(doctor.gln, action="revoke")
    sent = await episode.document()
    assert await _undelivered_reason(portal_events, sent) == "designation_revoked"


async def test_document_for_a_physician_without_account_is_not_delivered(
    hospital: Hospital, portal_events: PortalEvents
) -> None:
    episode = hospital.episode()
    await episode.designate(random_gln())
    sent = await episode.document()
    assert await _undelivered_reason(portal_events, sent) == "physician_unknown"


async def test_document_for_a_pending_account_is_not_delivered(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create(status="pending")
    episode = hospital.episode()
    await episode.designate(doctor.gln)
    sent = await episode.document()
    assert await _undelivered_reason(portal_events, sent) == "physician_not_activated"


async def test_manual_sending_needs_no_designation(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    manual = {"recipient": {"gln": doctor.gln}, "sent_by": "Dr B. Secrétan", "patient_authorization": "oral, 12.11"}
    sent = await hospital.episode().document(manual=manual, communicating=False)
    delivered = await portal_events.wait_for("portal.documents.delivered", document_id=sent["document"]["id"])
    assert delivered["physician"] == {"gln": doctor.gln}


async def test_fake_pdf_is_refused_as_invalid_content(
    stack: Stack, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    counted = dict(consumer="documents", reason="invalid_content")
    before = await metric(stack, "documents", "portal_messages_rejected_total", **counted)
    doctor = await physicians.create()
    episode = hospital.episode()
    await episode.designate(doctor.gln)
    sent = await episode.document(b"<html><script>alert(1)</script></html>")
    assert await _undelivered_reason(portal_events, sent) == "invalid_content"
    rejected = await portal_events.wait_for("portal.rejected", event_id=sent["event_id"])
    assert rejected["subject"] == "dpi.documents"
    await metric_grows(stack, "documents", "portal_messages_rejected_total", before, **counted)
