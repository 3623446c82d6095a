"""Bad hospital messages are acknowledged, recorded and reported, and never block the stream."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from deploy.stack import Stack

from .portal import Hospital, Physicians, PortalEvents, metric, metric_grows


def _valid_document(episode_id: str) -> dict:
    from deploy import hospital_sim

    person = hospital_sim.patient("Nguyen", "Thierry", "1990-01-30", "male")
    return hospital_sim.document(episode_id, person, hospital_sim.make_pdf("x", ["y"]))


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda m: b"{not json", id="not-json"),
        pytest.param(lambda m: json.dumps([1, 2]).encode(), id="not-an-object"),
        pytest.param(
            lambda m: json.dumps({**m, "document": {**m["document"], "version": 0}}).encode(), id="bad-version"
        ),
        pytest.param(
            lambda m: json.dumps({k: v for k, v in m.items() if k != "patient"}).encode(), id="missing-patient"
        ),
        pytest.param(
            lambda m: json.dumps({**m, "patient": {**m["patient"], "birth_date": "14.03.1956"}}).encode(), id="bad-date"
        ),
        pytest.param(
            lambda m: json.dumps({**m, "content": {**m["content"], "sha256": "0" * 64}}).encode(), id="sha256-mismatch"
        ),
        pytest.param(
            lambda m: json.dumps({**m, "content": {**m["content"], "data_b64": "@@@"}}).encode(), id="bad-base64"
        ),
    ],
)
async def test_malformed_document_is_rejected_and_the_next_one_still_delivered(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians, mangle
) -> None:
    doctor = await physicians.create()
    episode = hospital.episode()
    await episode.designate(doctor.gln)
    bad = _valid_document(episode.id)
    seen_before = len(portal_events.messages)
    await hospital.publish_raw("dpi.documents", mangle(bad))
    good = await episode.document()

    await portal_events.wait_for("portal.documents.delivered", document_id=good["document"]["id"])
    rejected = [
        body
        for subject, body in portal_events.messages[seen_before:]
        if subject == "portal.rejected" and body["event_id"] in (bad["event_id"], None)
    ]
    assert rejected, "the bad message was not reported on portal.rejected"
    assert all(body["subject"] == "dpi.documents" and body["reason"] for body in rejected)
    assert portal_events.matching("portal.documents.delivered", document_id=bad["document"]["id"]) == []


async def test_rejection_reason_never_quotes_patient_data(hospital: Hospital, portal_events: PortalEvents) -> None:
    event_id = uuid.uuid4().hex
    message = {"event_id": event_id, "action": "designate", "patient": {"family_name": "Zwahlen-Secret"}}
    await hospital.publish_raw("dpi.designations", json.dumps(message).encode())
    rejected = await portal_events.wait_for("portal.rejected", event_id=event_id)
    assert rejected["subject"] == "dpi.designations"
    assert "Zwahlen" not in rejected["reason"]


async def test_unknown_dpi_subject_is_rejected_and_counted(
    stack: Stack, hospital: Hospital, portal_events: PortalEvents
) -> None:
    counted = dict(consumer="documents", reason="unknown_subject")
    before = await metric(stack, "documents", "portal_messages_rejected_total", **counted)
    event_id = uuid.uuid4().hex
    await hospital.publish_raw("dpi.unknown", json.dumps({"event_id": event_id}).encode())
    rejected = await portal_events.wait_for("portal.rejected", event_id=event_id)
    assert rejected["subject"] == "dpi.unknown"
    await metric_grows(stack, "documents", "portal_messages_rejected_total", before, **counted)


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b"])
async def test_a_control_character_in_a_hospital_text_is_refused_at_once_by_field_and_rule(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians, character: str
) -> None:
    """A NUL byte (which PostgreSQL refuses) or another control character is a content error:
    rejected at the first delivery, naming the field and the rule; never retried as if it were an
    outage (it took five tries over about 30 s), and the episode's next document still arrives."""
    doctor = await physicians.create()
    episode = hospital.episode()
    await episode.designate(doctor.gln)
    started = time.monotonic()
    bad = await episode.document(title=f"Lettre{character}de sortie")
    rejected = await portal_events.wait_for("portal.rejected", event_id=bad["event_id"], timeout=10)
    assert time.monotonic() - started < 10
    assert "document.title" in rejected["reason"] and "control character" in rejected["reason"]
    assert character not in rejected["reason"]
    good = await episode.document()
    await portal_events.wait_for("portal.documents.delivered", document_id=good["document"]["id"])
