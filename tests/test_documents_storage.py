"""The whole content contract: the Object Store up to 50 MiB, checksums, versions, encryption at rest."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import uuid

import asyncpg

from common.contracts import documents
from deploy.hospital_sim import make_pdf
from deploy.stack import REPO, Stack

from .portal import Hospital, Physicians, PortalEvents, deliver


def _object_content(name: str, data: bytes) -> dict:
    return {"media_type": "application/pdf", "sha256": hashlib.sha256(data).hexdigest(), "object": name}


async def _delivered_and_logged_in(hospital: Hospital, portal_events: PortalEvents, physicians: Physicians, **document):
    doctor = await physicians.create()
    episode = hospital.episode()
    sent = await deliver(portal_events, episode, doctor.gln, timeout=60, **document)
    return doctor, episode, sent, await physicians.login(doctor)


async def _detail(physicians: Physicians, token: str, delivery_id: str) -> documents.DocumentDetail:
    """A document's own page: its size and versions (a list shows neither)."""
    return await physicians.call(documents.GET_DOCUMENT, documents.GetDocument(id=delivery_id), token=token)


async def test_50_mib_document_through_the_object_store_byte_for_byte(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    data = b"%PDF-1.7\n" + os.urandom(50 * 1024 * 1024 - 9)
    name = f"scan-{uuid.uuid4().hex}.pdf"
    store = await hospital.js.object_store("dpi-documents")
    await store.put(name, data)
    doctor, episode, sent, session = await _delivered_and_logged_in(
        hospital, portal_events, physicians, content=data, object_content=_object_content(name, data)
    )
    [item] = (await physicians.documents(session.token)).items
    assert (await _detail(physicians, session.token, item.id)).document.size == len(data)
    assert await physicians.content(session.token, item.id) == data


async def test_object_with_wrong_sha256_is_refused(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    data = make_pdf("Scanner", ["x" * 1000])
    name = f"scan-{uuid.uuid4().hex}.pdf"
    await (await hospital.js.object_store("dpi-documents")).put(name, data)
    doctor = await physicians.create()
    episode = hospital.episode()
    await episode.designate(doctor.gln)
    wrong = {**_object_content(name, data), "sha256": hashlib.sha256(b"other").hexdigest()}
    sent = await episode.document(content=data, object_content=wrong)
    undelivered = await portal_events.wait_for("portal.documents.undelivered", document_id=sent["document"]["id"])
    assert undelivered["reason"] == "invalid_content" and "sha256" in undelivered["detail"]
    rejected = await portal_events.wait_for("portal.rejected", event_id=sent["event_id"])
    assert "sha256" in rejected["reason"]


async def test_missing_object_is_refused(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    episode = hospital.episode()
    await episode.designate(doctor.gln)
    data = make_pdf("x", ["y"])
    sent = await episode.document(content=data, object_content=_object_content(f"none-{uuid.uuid4().hex}", data))
    undelivered = await portal_events.wait_for("portal.documents.undelivered", document_id=sent["document"]["id"])
    assert undelivered["reason"] == "invalid_content"


async def test_corrected_version_supersedes_and_the_earlier_one_stays_readable(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    first = make_pdf("Lettre de sortie", ["version 1"])
    doctor, episode, sent, session = await _delivered_and_logged_in(
        hospital, portal_events, physicians, content=first, title="Lettre de sortie"
    )
    document_id = sent["document"]["id"]
    second = make_pdf("Lettre de sortie", ["version 2, corrigée"])
    await deliver(
        portal_events, episode, content=second, document_id=document_id, version=2, title="Lettre de sortie (corrigée)"
    )

    [current] = (await physicians.documents(session.token)).items
    assert current.corrected and current.title == "Lettre de sortie (corrigée)"
    assert await physicians.content(session.token, current.id) == second
    detail = await _detail(physicians, session.token, current.id)
    assert (detail.document.version, detail.document.corrected, detail.document.current) == (2, True, True)
    assert [v.version for v in detail.versions] == [2, 1]
    earlier = detail.versions[1]
    assert earlier.current is False
    assert await physicians.content(session.token, earlier.id) == first


async def test_revocation_stops_later_deliveries_and_keeps_earlier_ones(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor, episode, sent, session = await _delivered_and_logged_in(hospital, portal_events, physicians)
    await episode.designate(doctor.gln, action="revoke")
    later = await episode.document()
    undelivered = await portal_events.wait_for("portal.documents.undelivered", document_id=later["document"]["id"])
    assert undelivered["reason"] == "designation_revoked"
    assert [item.title for item in (await physicians.documents(session.token)).items] == [sent["document"]["title"]]


async def test_stored_content_is_encrypted(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians, documents_db: asyncpg.Pool
) -> None:
    marker = f"PLAINTEXT-MARKER-{uuid.uuid4().hex}"
    content = make_pdf("Lettre", [marker])
    doctor, episode, sent, session = await _delivered_and_logged_in(
        hospital, portal_events, physicians, content=content
    )
    rows = await documents_db.fetch("SELECT data FROM content_chunks WHERE document_id = $1", sent["document"]["id"])
    stored = b"".join(bytes(row["data"]) for row in rows)
    assert rows and marker.encode() not in stored and b"%PDF" not in stored
    assert content[:64] not in stored
    dump = await documents_db.fetchval(
        "SELECT string_agg(t::text, '') FROM (SELECT * FROM documents WHERE document_id = $1) t", sent["document"]["id"]
    )
    assert marker not in dump and base64.b64encode(content[:30]).decode() not in dump


async def test_master_key_rotation_rewraps_data_keys_and_contents_stay_readable(
    stack: Stack, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians, documents_db: asyncpg.Pool
) -> None:
    content = make_pdf("Avant rotation", ["contenu"])
    doctor, episode, sent, session = await _delivered_and_logged_in(
        hospital, portal_events, physicians, content=content
    )
    assert stack.secrets is not None
    new_key = base64.b64encode(os.urandom(32)).decode()
    env = stack.environment("documents") | {
        "PORTAL_MASTER_KEYS": f"k1:{stack.secrets.master_key},k2:{new_key}",
        "PORTAL_MASTER_KEY_ID": "k2",
    }
    done = subprocess.run(
        [sys.executable, "-m", "services.documents.rotate_master_key"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "re-wrapped with master key k2" in done.stdout
    assert await documents_db.fetchval("SELECT count(*) FROM documents WHERE key_id <> 'k2'") == 0

    # the service, restarted with only the new key, still opens the document
    stack.stop_process("documents")
    stack.start_process("documents", overrides={"PORTAL_MASTER_KEYS": f"k2:{new_key}", "PORTAL_MASTER_KEY_ID": "k2"})
    try:
        await stack.wait_ready(["documents"])
        [item] = (await physicians.documents(session.token)).items
        assert await physicians.content(session.token, item.id) == content
    finally:  # back to the stack's own key for the tests that follow
        stack.stop_process("documents")
        stack.start_process("documents")
        await stack.wait_ready(["documents"])


async def test_inline_content_of_two_chunks_byte_for_byte(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    data = b"%PDF-1.4\n" + os.urandom(400 * 1024)
    doctor, episode, sent, session = await _delivered_and_logged_in(hospital, portal_events, physicians, content=data)
    [item] = (await physicians.documents(session.token)).items
    assert (await _detail(physicians, session.token, item.id)).document.size == len(data)
    assert await physicians.content(session.token, item.id) == data
