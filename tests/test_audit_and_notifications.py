"""Transactions are traced by the audit service and sent back to the hospital; physicians are told by email."""

from __future__ import annotations

import json
import time
import uuid
from typing import get_args

import asyncpg
import pytest
from pydantic import ValidationError

from common.contracts import audit, documents, identity
from common.errors import Unauthenticated
from deploy.database import with_database
from deploy.stack import Stack
from services.audit import fhir
from services.audit.verification import check_all

from .portal import Hospital, Physicians, PortalEvents, deliver, eventually, metric, metric_grows, outbox_messages


def _audit_events(portal_events: PortalEvents, entity_id: str) -> list[dict]:
    """FHIR AuditEvents on portal.audit that name `entity_id` as agent or entity."""
    found = []
    for subject, body in portal_events.messages:
        if subject != "portal.audit":
            continue
        names = [agent.get("who", {}).get("identifier", {}).get("value") for agent in body.get("agent", [])]
        names += [entity.get("what", {}).get("identifier", {}).get("value") for entity in body.get("entity", [])]
        if entity_id in names:
            found.append(body)
    return found


async def _audited(portal_events: PortalEvents, entity_id: str, count: int) -> list[dict]:
    async def enough() -> list[dict] | None:
        events = _audit_events(portal_events, entity_id)
        return events if len(events) >= count else None

    return await eventually(enough, what=f"{count} audit events about {entity_id}")


async def test_login_delivery_and_view_are_audited_and_forwarded_as_fhir(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    sent = await deliver(portal_events, hospital.episode(), doctor.gln)
    document_id = sent["document"]["id"]
    session = await physicians.login(doctor)
    page = await physicians.documents(session.token)
    await physicians.call(
        documents.READ_CONTENT,
        documents.GetContent(id=page.items[0].id, disposition="download"),
        token=session.token,
    )

    about_document = await _audited(portal_events, document_id, 2)  # delivered, downloaded
    about_doctor = await _audited(portal_events, doctor.account_id, 3)  # password, code, download
    for event in about_document + about_doctor:
        assert event["resourceType"] == "AuditEvent"
        assert event["recorded"] and event["outcome"] in ("0", "4", "8", "12")
        assert "Rochat" not in str(event)  # no patient data in audit records


async def test_failed_login_is_audited(stack: Stack, portal_events: PortalEvents, physicians: Physicians) -> None:
    doctor = await physicians.create()
    with pytest.raises(Unauthenticated):
        await physicians.call(
            identity.LOG_IN_WITH_PASSWORD,
            identity.PasswordLogin(login=doctor.login, password="wrong-password!"),
        )
    [event] = await _audited(portal_events, doctor.account_id, 1)
    assert event["outcome"] != "0"


async def test_physician_is_emailed_about_a_new_document_without_patient_data(
    stack: Stack, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    since = time.time_ns()
    counted = dict(channel="email", kind="new_document")
    before = await metric(stack, "notify", "portal_notifications_sent_total", **counted)
    sent = await deliver(portal_events, hospital.episode(), doctor.gln, title="Lettre de sortie très confidentielle")

    email = f"{doctor.login}@cabinet.example.ch"

    async def mailed() -> list[dict] | None:
        return outbox_messages(stack.outbox_dir, "email", email, since) or None

    [message] = await eventually(mailed, what="an email to the physician")
    text = f"{message['subject']} {message['body']}"
    assert "/documents" in text
    for secret in ("Rochat", "Élodie", "confidentielle", sent["document"]["id"], "1979"):
        assert secret not in text

    # Notify's ledger names the email it sent, by the Message-ID the mail server got; never its text.
    conn = await asyncpg.connect(with_database(stack.admin_database_url, stack.config.database))
    try:
        [row] = await conn.fetch("SELECT * FROM notify.outgoing_emails WHERE account_id = $1", doctor.account_id)
    finally:
        await conn.close()
    assert (row["state"], row["address"], row["kind"]) == ("sent", email, "new_document")
    assert row["message_id"] == message["message_id"] and row["sent_at"] is not None
    assert "body" not in dict(row) and "subject" not in dict(row)
    await metric_grows(stack, "notify", "portal_notifications_sent_total", before, **counted)


async def test_audit_log_refuses_changes_and_its_chain_verifies(stack: Stack, portal_events: PortalEvents) -> None:
    conn = await asyncpg.connect(stack.service_dsns["audit"], server_settings={"search_path": "audit"})
    try:
        assert await conn.fetchval("SELECT count(*) FROM records") > 0
        for statement in ("UPDATE records SET detail = 'edited'", "DELETE FROM records", "TRUNCATE records"):
            with pytest.raises(asyncpg.PostgresError):
                await conn.execute(statement)
        assert (await check_all(conn)).ok
    finally:
        await conn.close()


async def test_a_burst_of_documents_is_one_email(
    stack: Stack, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    email = f"{doctor.login}@cabinet.example.ch"
    since = time.time_ns()
    stack.stop_process("notify")  # the deliveries pile up on the stream meanwhile
    try:
        episode = hospital.episode()
        await episode.designate(doctor.gln)
        for _ in range(5):
            await deliver(portal_events, episode)
    finally:
        stack.start_process("notify")
        await stack.wait_ready(["notify"])

    async def mailed() -> list[dict] | None:
        return outbox_messages(stack.outbox_dir, "email", email, since) or None

    [message] = await eventually(mailed, what="an email to the physician")
    assert message["subject"] == "Nouveaux documents sur le portail"


async def test_an_action_the_audit_does_not_know_yet_is_kept_not_refused(
    stack: Stack, portal_events: PortalEvents
) -> None:
    """A newer service may audit a new action before the audit service is upgraded (rolling
    deployments): the record is stored and forwarded, as a generic application activity."""
    widget = f"widget-{uuid.uuid4().hex[:8]}"
    record = {
        "event_id": uuid.uuid4().hex,
        "recorded_at": "2026-11-26T10:00:00Z",
        "action": "widget.polished",
        "outcome": "success",
        "actor": {"kind": "system"},
        "entity": {"kind": "widget", "id": widget},
        "detail": "",
    }
    nc = await stack.connect_nats("requests")
    try:
        await nc.jetstream().publish(
            "audit.record.requests", json.dumps(record).encode(), headers={"Nats-Msg-Id": record["event_id"]}
        )
    finally:
        await nc.close()
    [event] = await _audited(portal_events, widget, 1)
    assert event["type"]["code"] == "110100"  # Application Activity


@pytest.mark.unit
def test_every_action_of_the_contract_is_taken_by_the_audit_service() -> None:
    """What producers may write (`audit.Action`), the audit service must accept: `logout`, which
    has no dot, was refused (and logouts went unaudited)."""
    for action in get_args(audit.Action):
        record = audit.ReceivedAuditRecord(action=action, outcome="success", actor=audit.Party(kind="system"))
        assert record.action == action
    with pytest.raises(ValidationError):  # still a pattern: no spaces, no capitals, not empty
        audit.ReceivedAuditRecord(action="Log Out", outcome="success", actor=audit.Party(kind="system"))
    # and each has its own FHIR event type, not the fallback of an action from a newer service
    assert set(get_args(audit.Action)) == set(fhir.EVENT_TYPES)


async def test_a_logout_is_audited(portal_events: PortalEvents, physicians: Physicians) -> None:
    doctor = await physicians.create()
    session = await physicians.login(doctor)
    await physicians.call(identity.END_SESSION, identity.SessionRef(session=session.secret))

    async def logged_out() -> dict | None:
        for event in _audit_events(portal_events, doctor.account_id):
            if any(coding.get("code") == "110123" for coding in event.get("subtype", [])):  # DCM Logout
                return event
        return None

    event = await eventually(logged_out, what="the logout's audit event")
    assert event["outcome"] == "0"
