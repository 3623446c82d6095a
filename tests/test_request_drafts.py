"""A physician's drafts and their submission (issue 13, F3.1/F3.2), through the bus as the gateway
asks: saved as often as they like, submitted once, published on `portal.requests.submitted` as its
JSON Schema says, never changed afterwards, and no one else's to see."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg
import pytest

from common.contracts import hospital_requests as contract
from common.contracts import identity
from common.contracts import requests as api
from common.contracts.schemas import validate_published
from common.errors import InvalidRequest, NotFound
from deploy import hospital_sim
from services.requests.hospital_replies import UNKNOWN_REQUEST

from .portal import Hospital, Physicians, PortalEvents, eventually
from .test_services_directory import _service
from .web import SignIn

BOARD = "TB-DIG"


@pytest.fixture(scope="module")
async def service(hospital: Hospital, requests_db: asyncpg.Pool) -> str:
    code = f"ONC-{uuid.uuid4().hex[:6]}"
    boards = [{"code": BOARD, "name": "Colloque digestif"}]
    message = _service(code, "Oncologie", datetime.now(UTC), accepts=["consultation", "tumor_board"], boards=boards)
    await hospital.publish(contract.SERVICES, message)
    await eventually(
        lambda: requests_db.fetchval("SELECT code FROM services WHERE code = $1", code), what="the service"
    )
    return code


PATIENT = {"id": None, "family_name": "Muster", "given_name": "Anna", "birth_date": "1964-03-02", "sex": "female"}


async def test_a_consultation_from_draft_to_submitted(
    physicians: Physicians, portal_events: PortalEvents, service: str
) -> None:
    doctor = await physicians.create()
    token = (await physicians.login(doctor)).token
    draft = api.Draft(kind="consultation", service=service, domain="adults", fields={"reason": "Douleurs"})
    saved = await physicians.call(api.SAVE_DRAFT, draft, token=token)
    assert saved.status == "draft" and saved.fields == {"reason": "Douleurs"}
    with pytest.raises(InvalidRequest):  # the question and the subject are still missing
        await physicians.call(api.SUBMIT_REQUEST, api.RequestRef(id=saved.id), token=token)

    complete = draft.model_copy(
        update={
            "id": saved.id,
            "subject": "Avis cardiologique",
            "urgency": "urgent",
            "fields": {"reason": "Douleurs", "question": "Coronarographie ?"},
            "patient": contract.TypedPatient(**PATIENT),
        }
    )
    await physicians.call(api.SAVE_DRAFT, complete, token=token)
    submitted = await physicians.call(api.SUBMIT_REQUEST, api.RequestRef(id=saved.id), token=token)
    assert submitted.status == "submitted" and submitted.submitted_at is not None

    event = await _published(portal_events, saved.id)
    validate_published(contract.SUBMITTED, event)
    assert event["physician"] == {"gln": doctor.gln, "family_name": "Test", "given_name": doctor.login}
    assert event["patient"] == PATIENT and event["request"]["urgency"] == "urgent"

    with pytest.raises(InvalidRequest):  # never changed once submitted
        await physicians.call(api.SAVE_DRAFT, complete, token=token)
    with pytest.raises(InvalidRequest):
        await physicians.call(api.SUBMIT_REQUEST, api.RequestRef(id=saved.id), token=token)
    mine = await physicians.call(api.LIST_MY_REQUESTS, api.ListMyRequests(), token=token)
    assert [item.id for item in mine.items] == [saved.id]


async def _published(portal_events: PortalEvents, request_id: str) -> dict:
    async def found() -> dict | None:
        matching = [body for body in portal_events.matching(contract.SUBMITTED) if body["request"]["id"] == request_id]
        return matching[0] if matching else None

    return await eventually(found, what="the submitted request published")


async def test_a_tumor_board_draft_finished_in_a_second_session(physicians: Physicians, service: str) -> None:
    doctor = await physicians.create()
    first = await physicians.login(doctor)
    draft = api.Draft(kind="tumor_board", service=service, board=BOARD, fields={"diagnosis": "Adénocarcinome"})
    saved = await physicians.call(api.SAVE_DRAFT, draft, token=first.token)
    await physicians.call(identity.END_SESSION, identity.SessionRef(session=first.secret))  # logged out

    await physicians.age_sms_codes(doctor)
    second = await physicians.login(doctor)
    mine = await physicians.call(api.LIST_MY_REQUESTS, api.ListMyRequests(status="draft"), token=second.token)
    assert [item.id for item in mine.items] == [saved.id]
    finished = draft.model_copy(
        update={
            "id": saved.id,
            "subject": "Colloque",
            "fields": {**draft.fields, "question": "Néoadjuvant ?"},
            "patient": contract.TypedPatient(**PATIENT),
        }
    )
    await physicians.call(api.SAVE_DRAFT, finished, token=second.token)
    submitted = await physicians.call(api.SUBMIT_REQUEST, api.RequestRef(id=saved.id), token=second.token)
    assert submitted.status == "submitted" and submitted.board == BOARD


async def test_a_draft_names_what_the_service_takes_and_what_the_form_allows(
    physicians: Physicians, service: str
) -> None:
    token = (await physicians.login(await physicians.create())).token
    wrong = [
        api.Draft(kind="message", service=service),  # the service takes no messages
        api.Draft(kind="tumor_board", service=service, board="TB-NONE"),  # not its board
        api.Draft(kind="consultation", service=service, board=BOARD),  # a board for a consultation
        api.Draft(kind="consultation", service=service, fields={"unknown": "x"}),  # not a field of the form
        api.Draft(kind="consultation", service=service, fields={"reason": "x" * 10_000}),  # too long
        api.Draft(kind="consultation", service="NO-SUCH"),
    ]
    for draft in wrong:
        with pytest.raises(InvalidRequest):
            await physicians.call(api.SAVE_DRAFT, draft, token=token)


async def test_no_one_else_sees_or_touches_a_physician_s_request(physicians: Physicians, service: str) -> None:
    alice, bob = await physicians.create(), await physicians.create()
    alice_token, bob_token = (await physicians.login(alice)).token, (await physicians.login(bob)).token
    admin_token = (await physicians.login(await physicians.create(role="admin"))).token
    draft = api.Draft(kind="consultation", service=service, fields={"reason": "Secret"})
    saved = await physicians.call(api.SAVE_DRAFT, draft, token=alice_token)
    for token in (bob_token, admin_token, "not a token"):
        for endpoint in (api.GET_REQUEST, api.SUBMIT_REQUEST):
            with pytest.raises(NotFound):
                await physicians.call(endpoint, api.RequestRef(id=saved.id), token=token)
        with pytest.raises(NotFound):
            await physicians.call(api.SAVE_DRAFT, draft.model_copy(update={"id": saved.id}), token=token)
    bob_mine = await physicians.call(api.LIST_MY_REQUESTS, api.ListMyRequests(), token=bob_token)
    assert bob_mine.items == []
    still = await physicians.call(api.GET_REQUEST, api.RequestRef(id=saved.id), token=alice_token)
    assert still.status == "draft" and still.fields == {"reason": "Secret"}


async def test_the_pages_from_a_draft_to_a_sent_request(
    sign_in: SignIn, physicians: Physicians, portal_events: PortalEvents, hospital: Hospital, service: str
) -> None:
    doctor = await physicians.create()
    web = await sign_in(doctor)
    page = await web.get("/requests/new/consultation")
    text = await page.text()
    assert page.status == 200 and "Motif de la demande" in text and f'value="{service}|adults"' in text
    form = {"service": f"{service}|adults", "subject": "Avis", "urgency": "routine", "reason": "Douleurs"}
    saved = await web.post_form("/requests/new/consultation", {**form, "action": "save"})
    assert saved.status == 303
    location = saved.headers["Location"]
    request_id = location.rsplit("/", 1)[1]
    draft_page = await (await web.get(location)).text()
    assert "Douleurs" in draft_page and "brouillon" in draft_page

    refused = await web.post_form(location, {**form, "action": "submit"})  # no question, no patient
    assert refused.status == 400 and "field-invalid" in await refused.text()
    patient = {"family_name": "Muster", "given_name": "Anna", "birth_date": "1964-03-02", "sex": "female"}
    sent = await web.post_form(location, {**form, **patient, "question": "Coronarographie ?", "action": "submit"})
    assert sent.status == 303 and sent.headers["Location"] == location
    await _published(portal_events, request_id)
    shown = await (await web.get(location)).text()
    assert "Coronarographie ?" in shown and f'action="{location}"' not in shown  # shown, no draft form
    listing = await (await web.get("/requests")).text()
    assert "Avis" in listing and "envoyée" in listing

    await hospital.publish(contract.ANSWER, _answer(request_id, "Coronarographie <indiquée>"))

    async def answered() -> str | None:
        page = await (await web.get(location)).text()
        return page if "Coronarographie &lt;indiquée&gt;" in page else None

    assert "réponse disponible" in await eventually(answered, what="the answer on the page")


async def _sent(physicians: Physicians, service: str, token: str | None = None) -> tuple[str, str]:
    """A physician's consultation, sent (by a new physician, or the one of `token`): (its id, the token)."""
    token = token or (await physicians.login(await physicians.create())).token
    draft = api.Draft(
        kind="consultation",
        service=service,
        subject="Avis",
        fields={"reason": "Douleurs", "question": "Coronarographie ?"},
        patient=contract.TypedPatient(**PATIENT),
    )
    saved = await physicians.call(api.SAVE_DRAFT, draft, token=token)
    await physicians.call(api.SUBMIT_REQUEST, api.RequestRef(id=saved.id), token=token)
    return saved.id, token


def _answer(request_id: str, text: str, needs_reply: bool = False, message_id: str | None = None) -> dict:
    return {
        "event_id": uuid.uuid4().hex,
        "request_id": request_id,
        "message": {
            "id": message_id or uuid.uuid4().hex,
            "text": text,
            "author": "Dr Roux",
            "sent_at": hospital_sim.now(),
        },
        "needs_reply": needs_reply,
    }


async def test_the_hospital_s_systems_answer_in_the_thread(
    sign_in: SignIn, physicians: Physicians, hospital: Hospital, service: str
) -> None:
    request_id, token = await _sent(physicians, service)

    async def status_of() -> str:
        return (await physicians.call(api.GET_REQUEST, api.RequestRef(id=request_id), token=token)).status

    status = {
        "event_id": uuid.uuid4().hex,
        "request_id": request_id,
        "status": "in_progress",
        "changed_at": hospital_sim.now(),
        "by": "dpi",
    }
    await hospital.publish(contract.STATUS_FROM_HOSPITAL, status)
    await eventually(lambda: _is(status_of, "in_progress"), what="in progress")

    question = _answer(request_id, "Avez-vous un ECG récent ?", needs_reply=True)
    await hospital.publish(contract.ANSWER, question)
    await hospital.publish(contract.ANSWER, {**question, "event_id": uuid.uuid4().hex})  # the same message again
    await eventually(lambda: _is(status_of, "information_needed"), what="a question to the physician")
    await hospital.publish(contract.ANSWER, _answer(request_id, "Coronarographie indiquée.\nRendez-vous suivra."))
    await eventually(lambda: _is(status_of, "answered"), what="answered")

    found = await physicians.call(api.GET_REQUEST, api.RequestRef(id=request_id), token=token)
    assert [message.text for message in found.messages] == [
        "Avez-vous un ECG récent ?",
        "Coronarographie indiquée.\nRendez-vous suivra.",
    ]
    assert found.first_answer_at is not None


async def _is(status_of: Callable[[], Awaitable[str]], wanted: str) -> bool | None:
    return (await status_of()) == wanted or None


async def test_an_answer_to_a_draft_is_rejected(
    physicians: Physicians, hospital: Hospital, portal_events: PortalEvents, service: str
) -> None:
    token = (await physicians.login(await physicians.create())).token
    draft = await physicians.call(api.SAVE_DRAFT, api.Draft(kind="consultation", service=service), token=token)
    to_draft = _answer(draft.id, "?")
    await hospital.publish(contract.ANSWER, to_draft)
    rejected = await portal_events.wait_for("portal.rejected", event_id=to_draft["event_id"])
    assert rejected["reason"] == UNKNOWN_REQUEST
    found = await physicians.call(api.GET_REQUEST, api.RequestRef(id=draft.id), token=token)
    assert found.status == "draft" and found.messages == []
