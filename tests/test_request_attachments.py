"""The files of requests and their threads (issue 13), through the bus as the gateway sends them:
part by part, sealed as they arrive, recognised by their first bytes, at most 20 MiB each and 10 a
message; sent to the hospital inline or through `portal-attachments`; taken from the hospital's
answers inline or from `dpi-documents`; read only by the physician and the service's members."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest
from pydantic import ValidationError

from common.contracts import hospital_requests as contract
from common.contracts import requests as api
from common.contracts.request_attachments import ATTACHMENTS_BUCKET
from common.contracts.schemas import validate_published
from common.errors import InvalidRequest, NotFound
from deploy import hospital_sim
from deploy.stack import Stack
from services.requests.attachments import NOT_A_FILE_TYPE, NOT_YOURS, TOO_LARGE

from .portal import Hospital, Physicians, PortalEvents, eventually
from .test_request_drafts import PATIENT, _answer, _sent
from .test_staff_inboxes import _service_with
from .web import SignIn

PART = api.UPLOAD_PART_BYTES
REPO = Path(__file__).resolve().parent.parent
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000


def a_pdf(size: int) -> bytes:
    """A PDF's first bytes, padded to `size` with bytes that differ from part to part."""
    head = hospital_sim.make_pdf("Lettre", ["pièce jointe"])
    return (head + hashlib.sha256(head).digest() * (size // 32 + 1))[:size]


async def send_file(physicians: Physicians, token: str, data: bytes, name: str = "ecg.pdf") -> str:
    """Send a file as the gateway does (parts of 256 KiB, in order); its id."""
    upload = str(uuid.uuid4())
    parts = [data[offset : offset + PART] for offset in range(0, len(data), PART)] or [b""]
    for seq, part in enumerate(parts):
        sent = api.UploadPart(
            upload=upload,
            seq=seq,
            file_name=name,
            data_b64=base64.b64encode(part).decode(),
            last=seq == len(parts) - 1,
        )
        done = await physicians.call(api.UPLOAD_PART, sent, token=token)
    assert done.complete and done.size == len(data)
    return upload


async def read_file(physicians: Physicians, token: str, request_id: str, file_id: str) -> bytes:
    data, offset = b"", 0
    while True:
        chunk = await physicians.call(
            api.READ_ATTACHMENT, api.AttachmentRead(request_id=request_id, id=file_id, offset=offset), token=token
        )
        data += base64.b64decode(chunk.data_b64)
        offset += len(base64.b64decode(chunk.data_b64))
        if chunk.last:
            return data


async def test_files_go_with_a_request_inline_or_through_the_object_store(
    physicians: Physicians, hospital: Hospital, requests_db: asyncpg.Pool, portal_events: PortalEvents
) -> None:
    nurse, stranger_nurse = await physicians.create(role="service_staff"), await physicians.create(role="service_staff")
    code = await _service_with(physicians, hospital, requests_db, nurse)
    await _service_with(physicians, hospital, requests_db, stranger_nurse)
    doctor = await physicians.create()
    token = (await physicians.login(doctor)).token
    large, small = a_pdf(700 * 1024), PNG
    files = [
        await send_file(physicians, token, large, "scanner.pdf"),
        await send_file(physicians, token, small, "x.png"),
    ]

    draft = api.Draft(
        kind="consultation",
        service=code,
        subject="Avis",
        fields={"reason": "Douleurs", "question": "Coronarographie ?"},
        patient=contract.TypedPatient(**PATIENT),
        attachments=files,
    )
    saved = await physicians.call(api.SAVE_DRAFT, draft, token=token)
    assert [(item.file_name, item.media_type, item.size) for item in saved.attachments] == [
        ("scanner.pdf", "application/pdf", len(large)),
        ("x.png", "image/png", len(small)),
    ]
    again = await physicians.call(
        api.SAVE_DRAFT, draft.model_copy(update={"id": saved.id, "attachments": None}), token=token
    )
    assert len(again.attachments) == 2  # a save that names no files keeps them (the autosave)
    await physicians.call(api.SUBMIT_REQUEST, api.RequestRef(id=saved.id), token=token)

    async def published() -> dict | None:
        found = [body for body in portal_events.matching(contract.SUBMITTED) if body["request"]["id"] == saved.id]
        return found[0] if found else None

    event = await eventually(published, what="the request published")
    validate_published(contract.SUBMITTED, event)
    stored, inline = event["attachments"]
    assert base64.b64decode(inline["data_b64"]) == small and inline["sha256"] == hashlib.sha256(small).hexdigest()
    assert stored["size"] == len(large) and stored["sha256"] == hashlib.sha256(large).hexdigest()
    kept = await (await hospital.js.object_store(ATTACHMENTS_BUCKET)).get(stored["object"])
    assert kept.data == large  # what the hospital reads, byte for byte

    assert await read_file(physicians, token, saved.id, files[0]) == large
    nurse_token = (await physicians.login(nurse)).token
    assert await read_file(physicians, nurse_token, saved.id, files[1]) == small
    others = [
        (await physicians.login(await physicians.create())).token,
        (await physicians.login(stranger_nurse)).token,
        (await physicians.login(await physicians.create(role="admin"))).token,
    ]
    for other in others:
        with pytest.raises(NotFound):
            await physicians.call(
                api.READ_ATTACHMENT, api.AttachmentRead(request_id=saved.id, id=files[0]), token=other
            )
    with pytest.raises(NotFound):  # a file of one request through another
        await physicians.call(
            api.READ_ATTACHMENT, api.AttachmentRead(request_id=str(uuid.uuid4()), id=files[0]), token=token
        )
    # Sealed at rest: nothing of the file's bytes in the database.
    rows = await requests_db.fetch("SELECT data FROM attachment_chunks WHERE attachment_id = $1", uuid.UUID(files[1]))
    assert rows and all(PNG[:64] not in bytes(row["data"]) for row in rows)


async def test_bad_files_are_refused_and_the_draft_keeps_what_it_had(
    physicians: Physicians, hospital: Hospital, requests_db: asyncpg.Pool
) -> None:
    code = await _service_with(physicians, hospital, requests_db)
    token = (await physicians.login(await physicians.create())).token
    kept = await send_file(physicians, token, PNG)
    draft = api.Draft(kind="consultation", service=code, fields={"reason": "Toux"}, attachments=[kept])
    saved = await physicians.call(api.SAVE_DRAFT, draft, token=token)

    with pytest.raises(InvalidRequest, match=NOT_A_FILE_TYPE):  # a text that calls itself a PDF
        await send_file(physicians, token, b"<html>not a pdf</html>", "lettre.pdf")
    with pytest.raises(InvalidRequest, match=TOO_LARGE):  # one part past 20 MiB
        await send_file(physicians, token, a_pdf(20 * 1024 * 1024 + 1))
    with pytest.raises(ValidationError):  # eleven files
        api.Draft(kind="consultation", service=code, attachments=[str(uuid.uuid4()) for _ in range(11)])
    someone_else_s = await send_file(physicians, (await physicians.login(await physicians.create())).token, PNG)
    for wrong in ([kept, someone_else_s], [kept, str(uuid.uuid4())], [kept, "not an id"]):
        with pytest.raises(InvalidRequest, match=NOT_YOURS):
            await physicians.call(
                api.SAVE_DRAFT, draft.model_copy(update={"id": saved.id, "attachments": wrong}), token=token
            )
    found = await physicians.call(api.GET_REQUEST, api.RequestRef(id=saved.id), token=token)
    assert found.fields == {"reason": "Toux"} and [item.id for item in found.attachments] == [kept]

    upload = str(uuid.uuid4())  # parts out of order, or not whole
    first = api.UploadPart(
        upload=upload, seq=0, file_name="a.pdf", data_b64=base64.b64encode(a_pdf(PART)).decode(), last=False
    )
    await physicians.call(api.UPLOAD_PART, first, token=token)
    for bad in (first.model_copy(update={"seq": 2}), first.model_copy(update={"seq": 1, "data_b64": "AAAA"})):
        with pytest.raises(InvalidRequest):
            await physicians.call(api.UPLOAD_PART, bad, token=token)
    with pytest.raises(InvalidRequest):  # an unfinished upload goes with nothing
        await physicians.call(
            api.SAVE_DRAFT, draft.model_copy(update={"id": saved.id, "attachments": [upload]}), token=token
        )
    with pytest.raises(InvalidRequest):
        bad_name = first.model_copy(update={"upload": str(uuid.uuid4()), "file_name": "a\x07.pdf"})
        await physicians.call(api.UPLOAD_PART, bad_name, token=token)


async def test_files_both_ways_in_a_thread(
    physicians: Physicians, hospital: Hospital, requests_db: asyncpg.Pool, portal_events: PortalEvents
) -> None:
    nurse = await physicians.create(role="service_staff")
    code = await _service_with(physicians, hospital, requests_db, nurse)
    request_id, token = await _sent(physicians, code)
    nurse_token = (await physicians.login(nurse)).token

    answer_file = await send_file(physicians, nurse_token, PNG, "resultat.png")
    answer = api.StaffAnswer(id=request_id, text="Voir le résultat", needs_reply=True, attachments=[answer_file])
    await physicians.call(api.STAFF_ANSWER, answer, token=nurse_token)
    reply_file = await send_file(physicians, token, a_pdf(600 * 1024), "ecg.pdf")
    reply = api.PhysicianReply(id=request_id, text="Voici l'ECG", attachments=[reply_file])
    found = await physicians.call(api.REPLY, reply, token=token)
    assert [[item.file_name for item in message.attachments] for message in found.messages] == [
        ["resultat.png"],
        ["ecg.pdf"],
    ]
    assert await read_file(physicians, token, request_id, answer_file) == PNG

    message = await portal_events.wait_for(contract.PHYSICIAN_MESSAGE, request_id=request_id)
    validate_published(contract.PHYSICIAN_MESSAGE, message)
    assert [item["file_name"] for item in message["attachments"]] == ["ecg.pdf"] and "object" in message["attachments"][
        0
    ]


async def test_the_hospital_answers_with_files_inline_and_in_the_object_store(
    physicians: Physicians, hospital: Hospital, requests_db: asyncpg.Pool, portal_events: PortalEvents
) -> None:
    code = await _service_with(physicians, hospital, requests_db)
    request_id, token = await _sent(physicians, code)
    large = a_pdf(1024 * 1024 + 5)
    name = f"answers/{uuid.uuid4().hex}"
    await (await hospital.js.object_store("dpi-documents")).put(name, large)
    files = [_inline(PNG, "court.png", "image/png"), _stored(large, name)]
    await hospital.publish(contract.ANSWER, {**_answer(request_id, "Résultats joints"), "attachments": files})

    async def answered() -> api.RequestDetail | None:
        found = await physicians.call(api.GET_REQUEST, api.RequestRef(id=request_id), token=token)
        return found if found.messages else None

    found = await eventually(answered, what="the answer kept")
    listed = found.messages[0].attachments
    assert [item.file_name for item in listed] == ["court.png", "scanner.pdf"]
    assert await read_file(physicians, token, request_id, listed[0].id) == PNG
    assert await read_file(physicians, token, request_id, listed[1].id) == large


@pytest.mark.parametrize(
    "why",
    ["digest", "type", "size", "missing object", "base64"],
)
async def test_a_hospital_answer_with_a_bad_file_is_rejected_whole(
    why: str, physicians: Physicians, hospital: Hospital, requests_db: asyncpg.Pool, portal_events: PortalEvents
) -> None:
    code = await _service_with(physicians, hospital, requests_db)
    request_id, token = await _sent(physicians, code)
    bad = {
        "digest": {**_inline(PNG, "a.png", "image/png"), "sha256": "0" * 64},
        "type": _inline(PNG, "a.pdf", "application/pdf"),
        "size": {**_inline(PNG, "a.png", "image/png"), "size": len(PNG) + 1},
        "missing object": _stored(a_pdf(600 * 1024), f"answers/{uuid.uuid4().hex}"),
        "base64": {**_inline(PNG, "a.png", "image/png"), "data_b64": "!!!!"},
    }[why]
    answer = {**_answer(request_id, "Voir pièces"), "attachments": [_inline(PNG, "ok.png", "image/png"), bad]}
    await hospital.publish(contract.ANSWER, answer)
    rejected = await portal_events.wait_for("portal.rejected", event_id=answer["event_id"])
    assert rejected["reason"].startswith("attachments[1]")
    found = await physicians.call(api.GET_REQUEST, api.RequestRef(id=request_id), token=token)
    assert found.status == "submitted" and found.messages == []
    assert not await requests_db.fetchval(
        "SELECT count(*) FROM attachments WHERE request_id = $1", uuid.UUID(request_id)
    )


def _facts(data: bytes, file_name: str, media_type: str) -> dict:
    return {
        "id": uuid.uuid4().hex,
        "file_name": file_name,
        "media_type": media_type,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def _inline(data: bytes, file_name: str, media_type: str) -> dict:
    return {**_facts(data, file_name, media_type), "data_b64": base64.b64encode(data).decode()}


def _stored(data: bytes, name: str) -> dict:
    return {**_facts(data, "scanner.pdf", "application/pdf"), "object": name}


async def test_the_form_takes_files_and_names_a_bad_one_without_losing_anything(
    sign_in: SignIn, physicians: Physicians, hospital: Hospital, requests_db: asyncpg.Pool
) -> None:
    nurse = await physicians.create(role="service_staff")
    code = await _service_with(physicians, hospital, requests_db, nurse)
    doctor = await physicians.create()
    web = await sign_in(doctor)
    typed = [
        ("service", f"{code}|adults"),
        ("subject", "Avis avec scanner"),
        ("urgency", "routine"),
        ("reason", "Douleurs thoraciques"),
        ("question", "Coronarographie ?"),
        *PATIENT_FIELDS,
    ]
    scanner = a_pdf(700 * 1024)
    files = [("files", "scanner.pdf", scanner), ("files", "faux.pdf", b"MZ\x90\x00 not a pdf at all")]
    came_back = await web.post_multipart(
        "/requests/new/consultation", [*typed, ("action", "submit")], files, form_page="/requests"
    )
    page = await came_back.text()
    assert came_back.status == 400 and "n’est pas un fichier PDF" in page.replace("'", "’")
    assert "Avis avec scanner" in page and "Douleurs thoraciques" in page and "scanner.pdf" in page
    [draft] = await requests_db.fetch("SELECT id::text, status FROM requests WHERE subject = 'Avis avec scanner'")
    assert draft["status"] == "draft"  # saved with what was typed and the good file, not sent
    [kept] = [line.split('value="')[1].split('"')[0] for line in page.splitlines() if 'name="keep_file"' in line]

    sent = await web.post_multipart(
        f"/requests/{draft['id']}", [*typed, ("keep_file", kept), ("action", "submit")], [], form_page="/requests"
    )
    assert sent.status == 303, await sent.text()
    shown = await (await web.get(f"/requests/{draft['id']}")).text()
    [link] = [part.split('"')[0] for part in shown.split('href="')[1:] if "/files/" in part]
    opened = await web.get(link)
    assert opened.status == 200 and opened.headers["Content-Type"] == "application/pdf"
    assert await opened.read() == scanner and "sandbox" in opened.headers["Content-Security-Policy"]

    nurse_web = await sign_in(nurse)
    assert (await (await nurse_web.get(link)).read()) == scanner  # the service's member opens it too
    stranger = await sign_in(await physicians.create())
    assert (await stranger.get(link)).status == 404

    eleven = [("files", f"f{index}.png", PNG) for index in range(11)]
    reply = await web.post_multipart(
        f"/requests/{draft['id']}/reply", [("text", "Onze fichiers")], eleven, form_page="/requests"
    )
    assert reply.status == 400 and "Onze fichiers" in await reply.text()


PATIENT_FIELDS = [(name, str(PATIENT[name])) for name in ("family_name", "given_name", "birth_date", "sex")]


async def test_master_key_rotation_rewraps_the_attachments_keys_and_files_stay_readable(
    stack: Stack, physicians: Physicians, hospital: Hospital, requests_db: asyncpg.Pool
) -> None:
    """The requests service keeps its files with the documents' master keys: rotating them takes
    its own run (`services.requests.rotate_master_key`), after which the old key may go."""
    code = await _service_with(physicians, hospital, requests_db)
    token = (await physicians.login(await physicians.create())).token
    data = a_pdf(300 * 1024)
    kept = await send_file(physicians, token, data)
    draft = api.Draft(kind="consultation", service=code, attachments=[kept])
    saved = await physicians.call(api.SAVE_DRAFT, draft, token=token)
    assert stack.secrets is not None
    new_key = base64.b64encode(os.urandom(32)).decode()
    keys = {"PORTAL_MASTER_KEYS": f"k1:{stack.secrets.master_key},k2:{new_key}", "PORTAL_MASTER_KEY_ID": "k2"}
    done = subprocess.run(
        [sys.executable, "-m", "services.requests.rotate_master_key"],
        cwd=REPO,
        env=stack.environment("requests") | keys,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "re-wrapped with master key k2" in done.stdout, done.stderr
    assert await requests_db.fetchval("SELECT count(*) FROM attachments WHERE key_id <> 'k2'") == 0

    stack.stop_process("requests")
    stack.start_process("requests", overrides={"PORTAL_MASTER_KEYS": f"k2:{new_key}", "PORTAL_MASTER_KEY_ID": "k2"})
    try:
        await stack.wait_ready(["requests"])
        assert await read_file(physicians, token, saved.id, kept) == data
    finally:  # back to the stack's own key for the tests that follow
        stack.stop_process("requests")
        stack.start_process("requests")
        await stack.wait_ready(["requests"])
