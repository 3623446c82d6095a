"""The same event is processed once, whatever the redeliveries, re-publications or crashes."""
from __future__ import annotations

import json
import signal
import uuid

import asyncpg

from deploy.stack import Stack

from .portal import Hospital, Physicians, PortalEvents, eventually


async def _deliveries(stack: Stack, document_ids: list[str]) -> dict[str, int]:
    conn = await asyncpg.connect(stack.service_dsns["documents"], server_settings={"search_path": "documents"})
    try:
        rows = await conn.fetch(
            "SELECT document_id, count(*) AS n FROM deliveries WHERE document_id = ANY($1) GROUP BY document_id",
            document_ids,
        )
    finally:
        await conn.close()
    return {row["document_id"]: row["n"] for row in rows}


async def test_same_event_published_twice_gives_one_document(
    stack: Stack, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    episode = hospital.episode()
    await episode.designate(doctor.gln)
    sent = await episode.document()
    # The same event again, under another Nats-Msg-Id so that JetStream's own dedupe lets it through.
    await hospital.publish_raw("dpi.documents", json.dumps(sent).encode(), msg_id=uuid.uuid4().hex)
    sentinel = await episode.document()  # processed after the duplicate
    await portal_events.wait_for("portal.documents.delivered", document_id=sentinel["document"]["id"])

    document_id = sent["document"]["id"]
    assert len(portal_events.matching("portal.documents.delivered", document_id=document_id)) == 1
    assert await _deliveries(stack, [document_id]) == {document_id: 1}


async def test_documents_service_killed_mid_burst_delivers_each_document_once(
    stack: Stack, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    episode = hospital.episode()
    await episode.designate(doctor.gln)
    sent = [await episode.document() for _ in range(150)]
    ids = [message["document"]["id"] for message in sent]

    await portal_events.wait_for("portal.documents.delivered", document_id=ids[10], timeout=60)
    stack.stop_process("documents", sig=signal.SIGKILL)  # no chance to ack what it committed
    stack.start_process("documents")
    await stack.wait_ready(["documents"])

    async def all_delivered() -> dict[str, int] | None:
        counts = await _deliveries(stack, ids)
        return counts if len(counts) == len(ids) else None

    # What the killed copy had fetched comes back after the consumer's ack wait (30 s).
    counts = await eventually(all_delivered, timeout=120, what="every document delivered")
    assert set(counts.values()) == {1}
    for document_id in ids:
        await portal_events.wait_for("portal.documents.delivered", document_id=document_id)
        assert len(portal_events.matching("portal.documents.delivered", document_id=document_id)) == 1
