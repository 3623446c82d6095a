"""The validators' side of registration: queue, a request, the control SMS read back, the signature.
Only validators and administrators see requests; to others they do not exist."""
from __future__ import annotations

import re
import time

import pytest

from common.contracts import registration
from common.errors import Conflict, NotFound, Unauthenticated

from .portal import Physicians, outbox_messages
from .test_registration import form
from .web import SignIn


async def _submitted(physicians: Physicians) -> tuple[registration.RegistrationForm, str]:
    filled = form()
    received = await physicians.call(
        registration.SUBMIT, registration.RegistrationSubmission(form=filled), registration.RegistrationReceived
    )
    return filled, received.reference


async def test_a_validator_checks_the_mobile_and_signs(physicians: Physicians) -> None:
    filled, reference = await _submitted(physicians)
    validator = await physicians.create(role="validator")
    session = (await physicians.login(validator)).secret

    queue = await physicians.call(registration.QUEUE, registration.QueueQuery(session=session), registration.RequestQueue)
    [mine] = [item for item in queue.items if item.reference == reference]
    assert mine.state == "submitted" and mine.number == f"gln:{filled.gln}"
    ref = registration.RequestRef(session=session, id=mine.id)

    with pytest.raises(Conflict, match="not confirmed"):  # no signature before the mobile is confirmed
        await physicians.call(registration.SIGN, _signature(session, mine.id), registration.RequestDetail)

    since = time.time_ns()
    sent = await physicians.call(registration.CONTROL_SMS, ref, registration.RequestDetail)
    assert sent.control_sent_at is not None and sent.control_confirmed_at is None
    [sms] = outbox_messages(physicians.stack.outbox_dir, "sms", filled.mobile, since)
    code = sms["body"].split("code ")[1][:6]
    with pytest.raises(Unauthenticated):
        await physicians.call(
            registration.CONTROL_CONFIRM, registration.ControlCode(session=session, id=mine.id, code="000000" if code != "000000" else "111111"),
            registration.RequestDetail,
        )
    confirmed = await physicians.call(
        registration.CONTROL_CONFIRM, registration.ControlCode(session=session, id=mine.id, code=code), registration.RequestDetail
    )
    assert confirmed.control_confirmed_at is not None

    signed = await physicians.call(registration.SIGN, _signature(session, mine.id), registration.RequestDetail)
    assert (signed.state, signed.check_method, signed.id_document_number) == ("validated", "video_call", "C1234567")
    assert signed.validator_name == "Anne Validatrice" and signed.validated_place == "Genève" and signed.validated_at

    assert physicians.pool is not None
    async with physicians.pool.acquire() as conn:  # the document's number is sealed at rest
        stored = await conn.fetchval("SELECT id_document_number FROM registration_requests WHERE reference = $1", reference)
    assert b"C1234567" not in bytes(stored)
    waiting = await physicians.call(
        registration.QUEUE, registration.QueueQuery(session=session, state="validated"), registration.RequestQueue
    )
    assert reference in {item.reference for item in waiting.items}


async def test_no_one_else_sees_a_request(physicians: Physicians) -> None:
    _, reference = await _submitted(physicians)
    validator = await physicians.create(role="validator")
    validator_session = (await physicians.login(validator)).secret
    queue = await physicians.call(
        registration.QUEUE, registration.QueueQuery(session=validator_session), registration.RequestQueue
    )
    request_id = next(item.id for item in queue.items if item.reference == reference)
    doctor = await physicians.create()
    doctor_session = (await physicians.login(doctor)).secret
    for wanted, model in (
        (registration.QueueQuery(session=doctor_session), registration.RequestQueue),
        (registration.RequestRef(session=doctor_session, id=request_id), registration.RequestDetail),
        (registration.RequestRef(session="not a session", id=request_id), registration.RequestDetail),
    ):
        subject = registration.QUEUE if isinstance(wanted, registration.QueueQuery) else registration.DETAIL
        with pytest.raises(NotFound):
            await physicians.call(subject, wanted, model)


def _signature(session: str, request_id: str) -> registration.Validation:
    return registration.Validation(
        session=session, id=request_id, check_method="video_call", id_document_number="C1234567",
        validator_name="Anne Validatrice", place="Genève",
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

    unsigned = await validator.post_form(f"{path}/sign", {
        "check_method": "in_person", "id_document_number": "X9", "validator_name": "Anne", "place": "Genève",
    }, form_page=path)
    assert unsigned.status == 400 and "3 caractères au moins" in await unsigned.text()

    since = time.time_ns()
    sent = await validator.post_form(f"{path}/control", {}, form_page=path)
    assert sent.status == 303
    [sms] = outbox_messages(physicians.stack.outbox_dir, "sms", filled.mobile, since)
    confirmed = await validator.post_form(f"{path}/control/confirm", {"code": sms["body"].split("code ")[1][:6]}, form_page=path)
    assert confirmed.status == 303
    signed = await validator.post_form(f"{path}/sign", {
        "check_method": "in_person", "id_document_number": "C7654321", "validator_name": "Anne Validatrice", "place": "Genève",
    }, form_page=path)
    assert signed.status == 303
    page = await (await validator.get(path)).text()
    assert "en attente de son identifiant" in page and "C7654321" in page and "En présentiel" in page

    doctor = await sign_in(await physicians.create())
    assert (await doctor.get("/validation")).status == 404
    assert (await doctor.get(path)).status == 404


async def test_five_wrong_control_codes_clear_the_code(physicians: Physicians) -> None:
    filled, reference = await _submitted(physicians)
    validator = await physicians.create(role="admin")
    session = (await physicians.login(validator)).secret
    queue = await physicians.call(registration.QUEUE, registration.QueueQuery(session=session), registration.RequestQueue)
    request_id = next(item.id for item in queue.items if item.reference == reference)
    since = time.time_ns()
    await physicians.call(registration.CONTROL_SMS, registration.RequestRef(session=session, id=request_id), registration.RequestDetail)
    [sms] = outbox_messages(physicians.stack.outbox_dir, "sms", filled.mobile, since)
    code = sms["body"].split("code ")[1][:6]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for attempt in (wrong, wrong, "abcdé", wrong, wrong, code):  # a non-digit code is just wrong
        with pytest.raises(Unauthenticated):
            await physicians.call(
                registration.CONTROL_CONFIRM, registration.ControlCode(session=session, id=request_id, code=attempt),
                registration.RequestDetail,
            )
