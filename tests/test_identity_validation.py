"""The validators' side of registration: queue, a request, the control SMS read back, the signature.
Only validators and administrators see requests; to others they do not exist."""

from __future__ import annotations

import base64
import re
import time
import uuid

import pytest

from common.contracts import registration
from common.errors import Conflict, InvalidRequest, NotFound, Unauthenticated
from common.settings import base64_key
from deploy.stack import Stack
from services.identity import id_copies
from services.identity.sealing import Sealer

from .portal import Physicians, sms_to
from .test_registration import form
from .web import SignIn


async def _submitted(physicians: Physicians) -> tuple[registration.RegistrationForm, str]:
    filled = form()
    received = await physicians.call(registration.SUBMIT_REGISTRATION, registration.RegistrationSubmission(form=filled))
    return filled, received.reference


async def test_a_validator_checks_the_mobile_and_signs(physicians: Physicians) -> None:
    filled, reference = await _submitted(physicians)
    validator = await physicians.create(role="validator")
    session = (await physicians.login(validator)).token

    queue = await physicians.call(registration.LIST_REQUESTS, registration.QueueQuery(), token=session)
    [mine] = [item for item in queue.items if item.reference == reference]
    assert mine.state == "submitted" and mine.number == f"gln:{filled.gln}"
    ref = registration.RequestRef(id=mine.id)

    with pytest.raises(Conflict, match="not confirmed"):  # no signature before the mobile is confirmed
        await physicians.call(registration.SIGN_VALIDATION, _signature(mine.id), token=session)

    since = time.time_ns()
    sent = await physicians.call(registration.SEND_CONTROL_SMS, ref, token=session)
    assert sent.control_sent_at is not None and sent.control_confirmed_at is None
    sms = await sms_to(physicians.stack.outbox_dir, filled.mobile, since)
    code = sms["body"].split("code ")[1][:6]
    with pytest.raises(Unauthenticated):
        await physicians.call(
            registration.CONFIRM_CONTROL,
            registration.ControlCode(id=mine.id, code="000000" if code != "000000" else "111111"),
            token=session,
        )
    confirmed = await physicians.call(
        registration.CONFIRM_CONTROL,
        registration.ControlCode(id=mine.id, code=code),
        token=session,
    )
    assert confirmed.control_confirmed_at is not None

    with pytest.raises(Conflict, match="ID copy is missing"):
        await physicians.call(registration.SIGN_VALIDATION, _signature(mine.id), token=session)
    with pytest.raises(InvalidRequest, match="not a PDF"):
        await keep_copy(physicians, session, mine.id, b"MZ\x90\x00 an executable")
    await keep_copy(physicians, session, mine.id)
    kept = await physicians.call(registration.GET_REQUEST, ref, token=session)
    assert (kept.id_copy_media_type, kept.id_copy_size) == ("application/pdf", len(ID_COPY))
    async with physicians.pool.acquire() as conn:  # type: ignore[union-attr]  # sealed at rest, part by part
        kept_parts = await conn.fetch(
            "SELECT k.seq, k.sealed FROM id_copy_kept k JOIN registration_requests r ON r.id = k.request_id "
            "WHERE r.reference = $1 ORDER BY k.seq",
            reference,
        )
        waiting = await conn.fetchval("SELECT count(*) FROM id_copy_parts WHERE request_id = $1", uuid.UUID(mine.id))
    assert [part["seq"] for part in kept_parts] == [0, 1] and waiting == 0
    assert all(b"scan of an identity card" not in bytes(part["sealed"]) for part in kept_parts)
    with pytest.raises(InvalidRequest, match="exactly 512 KB"):  # parts are whole but the last
        await physicians.call(
            registration.STORE_ID_COPY_PART,
            registration.IdCopyPart(
                id=mine.id,
                upload=str(uuid.uuid4()),
                seq=0,
                data_b64=base64.b64encode(b"%PDF-short").decode(),
                last=False,
            ),
            token=session,
        )
    signed = await physicians.call(registration.SIGN_VALIDATION, _signature(mine.id), token=session)
    assert (signed.state, signed.check_method, signed.id_document_number) == ("validated", "video_call", "C1234567")
    assert signed.validator_name == "Anne Validatrice" and signed.validated_place == "Genève" and signed.validated_at

    assert physicians.pool is not None
    async with physicians.pool.acquire() as conn:  # the document's number is sealed at rest
        stored = await conn.fetchval(
            "SELECT id_document_number FROM registration_requests WHERE reference = $1", reference
        )
    assert b"C1234567" not in bytes(stored)
    waiting = await physicians.call(
        registration.LIST_REQUESTS, registration.QueueQuery(state="validated"), token=session
    )
    assert reference in {item.reference for item in waiting.items}


async def test_no_one_else_sees_a_request(physicians: Physicians) -> None:
    _, reference = await _submitted(physicians)
    validator = await physicians.create(role="validator")
    validator_session = (await physicians.login(validator)).token
    queue = await physicians.call(registration.LIST_REQUESTS, registration.QueueQuery(), token=validator_session)
    request_id = next(item.id for item in queue.items if item.reference == reference)
    doctor = await physicians.create()
    doctor_session = (await physicians.login(doctor)).token
    with pytest.raises(NotFound):
        await physicians.call(registration.LIST_REQUESTS, registration.QueueQuery(), token=doctor_session)
    for token in (doctor_session, "not a token"):
        with pytest.raises(NotFound):
            await physicians.call(registration.GET_REQUEST, registration.RequestRef(id=request_id), token=token)


ID_COPY = b"%PDF-1.4\n" + b"scan of an identity card" * 40_000  # about 1 MB: two parts


async def keep_copy(physicians: Physicians, session: str, request_id: str, data: bytes = ID_COPY) -> None:
    """Upload the ID copy as the gateway does: parts of 512 KB, in order."""
    upload, size = str(uuid.uuid4()), registration.ID_COPY_PART_BYTES
    parts = [data[offset : offset + size] for offset in range(0, len(data), size)]
    for seq, part in enumerate(parts):
        await physicians.call(
            registration.STORE_ID_COPY_PART,
            registration.IdCopyPart(
                id=request_id,
                upload=upload,
                seq=seq,
                data_b64=base64.b64encode(part).decode(),
                last=seq == len(parts) - 1,
            ),
            token=session,
        )


def _signature(request_id: str) -> registration.Validation:
    return registration.Validation(
        id=request_id,
        check_method="video_call",
        id_document_number="C1234567",
        validator_name="Anne Validatrice",
        place="Genève",
    )


async def test_the_validation_pages(physicians: Physicians, sign_in: SignIn) -> None:
    filled, reference = await _submitted(physicians)
    validator = await sign_in(await physicians.create(role="validator"))
    assert (await validator.get("/")).headers["Location"] == "/validation"
    queue = await validator.get("/validation")
    text = await queue.text()
    assert queue.status == 200 and reference in text and "Demandes d’inscription" in text
    request_path = re.search(rf'href="(/validation/[0-9a-f-]{{36}})">{reference}<', text)
    assert request_path is not None
    path = request_path.group(1)

    unsigned = await validator.post_form(
        f"{path}/sign",
        {
            "check_method": "in_person",
            "id_document_number": "X9",
            "validator_name": "Anne",
            "place": "Genève",
        },
        form_page=path,
    )
    assert unsigned.status == 400 and "3 caractères au moins" in await unsigned.text()

    since = time.time_ns()
    sent = await validator.post_form(f"{path}/control", {}, form_page=path)
    assert sent.status == 303
    sms = await sms_to(physicians.stack.outbox_dir, filled.mobile, since)
    confirmed = await validator.post_form(
        f"{path}/control/confirm", {"code": sms["body"].split("code ")[1][:6]}, form_page=path
    )
    assert confirmed.status == 303
    fake = await validator.upload(f"{path}/id-copy", "copy", "carte.pdf", b"<html>not a scan</html>", form_page=path)
    assert fake.status == 400 and "PDF, JPEG ou PNG" in await fake.text()
    huge = await validator.upload(
        f"{path}/id-copy", "copy", "carte.pdf", b"%PDF-" + bytes(5 * 1024 * 1024), form_page=path
    )
    assert huge.status == 413 and "dépasse 5 Mo" in await huge.text()
    kept = await validator.upload(f"{path}/id-copy", "copy", "carte.pdf", ID_COPY, form_page=path)
    assert kept.status == 303 and "Copie conservée" in await (await validator.get(path)).text()
    shown = await validator.get(f"{path}/id-copy")
    assert shown.status == 200 and await shown.read() == ID_COPY  # byte for byte, through its parts
    assert shown.headers["Content-Type"] == "application/pdf" and shown.headers["X-Content-Type-Options"] == "nosniff"
    assert (
        shown.headers["Content-Security-Policy"].startswith("sandbox") and shown.headers["Cache-Control"] == "no-store"
    )
    signed = await validator.post_form(
        f"{path}/sign",
        {
            "check_method": "in_person",
            "id_document_number": "C7654321",
            "validator_name": "Anne Validatrice",
            "place": "Genève",
        },
        form_page=path,
    )
    assert signed.status == 303
    page = await (await validator.get(path)).text()
    assert "en attente de son identifiant" in page and "C7654321" in page and "En présentiel" in page

    doctor = await sign_in(await physicians.create())
    assert (await doctor.get("/validation")).status == 403
    assert (await doctor.get(path)).status == 403
    assert (await doctor.get(f"{path}/id-copy")).status == 403


async def test_five_wrong_control_codes_clear_the_code(physicians: Physicians) -> None:
    filled, reference = await _submitted(physicians)
    validator = await physicians.create(role="admin")
    session = (await physicians.login(validator)).token
    queue = await physicians.call(registration.LIST_REQUESTS, registration.QueueQuery(), token=session)
    request_id = next(item.id for item in queue.items if item.reference == reference)
    since = time.time_ns()
    await physicians.call(registration.SEND_CONTROL_SMS, registration.RequestRef(id=request_id), token=session)
    sms = await sms_to(physicians.stack.outbox_dir, filled.mobile, since)
    code = sms["body"].split("code ")[1][:6]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for attempt in (wrong, wrong, "abcdé", wrong, wrong, code):  # a non-digit code is just wrong
        with pytest.raises(Unauthenticated):
            await physicians.call(
                registration.CONFIRM_CONTROL,
                registration.ControlCode(id=request_id, code=attempt),
                token=session,
            )


async def test_a_copy_kept_whole_before_parts_still_shows(physicians: Physicians, stack: Stack) -> None:
    """Copies kept before they were sealed part by part (one sealed whole) read as before."""
    session = (await physicians.login(await physicians.create(role="validator"))).token
    _, reference = await _submitted(physicians)
    assert physicians.pool is not None
    request_id = await physicians.pool.fetchval("SELECT id FROM registration_requests WHERE reference = $1", reference)
    sealer = Sealer(base64_key(stack.secrets.identity_data_key))  # type: ignore[union-attr]
    await physicians.pool.execute(
        "UPDATE registration_requests SET id_copy = $2, id_copy_media_type = 'application/pdf', id_copy_size = $3, "
        "id_copy_uploaded_at = now() WHERE id = $1",
        request_id,
        sealer.seal(ID_COPY, id_copies.bound(request_id)),
        len(ID_COPY),
    )
    data, offset = b"", 0
    while True:
        chunk = await physicians.call(
            registration.READ_ID_COPY,
            registration.IdCopyRead(id=str(request_id), offset=offset),
            token=session,
        )
        data += base64.b64decode(chunk.data_b64)
        offset = len(data)
        if chunk.last:
            break
    assert data == ID_COPY
