"""The same event is processed once, whatever the redeliveries, re-publications or crashes."""

from __future__ import annotations

import asyncio
import json
import signal
import uuid
from collections import Counter

import asyncpg

from deploy import hospital_sim
from deploy.hospital_sim import make_pdf
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


async def test_two_copies_with_one_killed_mid_burst_deliver_each_document_once(
    stack: Stack, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    episodes = [hospital.episode() for _ in range(20)]
    for episode in episodes:
        await episode.designate(doctor.gln)
    second = stack.start_process("documents", copy=2)
    killed = False
    try:
        await stack.wait_ready([second])
        content = make_pdf("Rafale", ["x"])
        messages = [
            hospital_sim.document(episode.id, episode.patient, content) for _ in range(100) for episode in episodes
        ]
        ids = [message["document"]["id"] for message in messages]
        await asyncio.gather(*(hospital.publish("dpi.documents", message) for message in messages))

        await portal_events.wait_for("portal.documents.delivered", document_id=ids[200], timeout=60)
        stack.stop_process("documents", sig=signal.SIGKILL)  # no chance to ack what it committed
        killed = True

        async def all_delivered() -> dict[str, int] | None:
            counts = await _deliveries(stack, ids)
            return counts if len(counts) == len(ids) else None

        # What the killed copy had fetched comes back to the other after the consumer's ack wait (5 s).
        counts = await eventually(all_delivered, timeout=180, what="every document delivered")
        assert set(counts.values()) == {1}

        async def every_event() -> Counter[str] | None:
            told = Counter(
                body["document_id"]
                for subject, body in portal_events.messages
                if subject == "portal.documents.delivered"
            )
            return told if all(told[document_id] for document_id in ids) else None

        told = await eventually(every_event, timeout=60, what="a delivered event for every document")
        assert {told[document_id] for document_id in ids} == {1}
    finally:  # the session's stack as it was: one documents service
        stack.stop_process(second)
        if killed:
            stack.start_process("documents")
            await stack.wait_ready(["documents"])
