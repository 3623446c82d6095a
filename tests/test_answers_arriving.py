"""Answers arriving (issue 13, B2 and F10): a service's answer (its staff's or the hospital's
systems', a question included) is unread until the physician opens the request; the navigation
counts such requests and Mes demandes marks them; the physician's open pages hear of it at once
(their event streams, no one else's); notify emails them once, a link and nothing of the request,
as their profile asks."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import aiohttp
import asyncpg
import pytest
from nats.aio.msg import Msg

from common.codec import decode
from common.contracts import hospital_requests as contract
from common.contracts import identity
from common.contracts import requests as api
from common.contracts.base import Empty
from common.errors import NotFound
from deploy.database import with_database
from deploy.stack import Stack
from services.notify import messages

from .portal import Hospital, Physician, Physicians, PortalEvents, deliver, eventually, metric, outbox_messages
from .test_request_drafts import _answer, _sent
from .test_staff_inboxes import _service_with
from .web import SignIn, WebClient

UNREAD_ROW = '<span class="badge">nouvelle réponse</span>'


@pytest.mark.unit
@pytest.mark.parametrize("language", ["fr", "de", "it", "en"])
def test_an_answer_s_email_has_its_text_in_each_language(language: str) -> None:
    request_id = str(uuid.uuid4())
    one = messages.compose(messages.REQUEST_ANSWERED, language, "https://portal.example/", {"request_id": request_id})
    assert one.subject and f"https://portal.example/requests/{request_id}\n" in one.body
    several = messages.compose(messages.REQUESTS_ANSWERED, language, "https://portal.example", {"request_id": "x"})
    assert several.subject != one.subject and "https://portal.example/requests\n" in several.body


@pytest.fixture
async def desk(physicians: Physicians, hospital: Hospital, requests_db: asyncpg.Pool) -> tuple[str, str]:
    """A new service, and the token of the member who answers its requests (one login per test:
    a staff login takes the next code of their app)."""
    nurse = await physicians.create(role="service_staff")
    code = await _service_with(physicians, hospital, requests_db, nurse)
    return code, (await physicians.login(nurse)).token


async def _sent_by(physicians: Physicians, code: str, doctor: Physician) -> str:
    return (await _sent(physicians, code, (await physicians.login(doctor)).token))[0]


async def _unread(physicians: Physicians, token: str) -> int:
    return (await physicians.call(api.COUNT_UNREAD_ANSWERS, Empty(), token=token)).requests


async def _staff_answer(physicians: Physicians, nurse: str, request_id: str, **answer: object) -> None:
    """The answer of a service's member (`nurse`: their token, one login per test: their app's codes)."""
    wanted = api.StaffAnswer(id=request_id, **{"text": "Coronarographie indiquée le 3 mars.", **answer})
    await physicians.call(api.STAFF_ANSWER, wanted, token=nurse)


async def test_an_answer_is_unread_until_the_physician_opens_the_request(
    physicians: Physicians, hospital: Hospital, desk: tuple[str, str]
) -> None:
    code, nurse_token = desk
    request_id, token = await _sent(physicians, code)
    other_id, other_token = await _sent(physicians, code)  # another physician's, answered too
    assert await _unread(physicians, token) == 0

    await _staff_answer(physicians, nurse_token, request_id, text="Un ECG récent ?", needs_reply=True)  # a question
    await _staff_answer(physicians, nurse_token, other_id)
    assert await _unread(physicians, token) == 1 and await _unread(physicians, other_token) == 1
    mine = await physicians.call(api.LIST_MY_REQUESTS, api.ListMyRequests(), token=token)
    assert [(item.id, item.answer_unread) for item in mine.items] == [(request_id, True)]

    opened = await physicians.call(api.GET_REQUEST, api.RequestRef(id=request_id), token=token)
    assert opened.messages[-1].text == "Un ECG récent ?"
    assert await _unread(physicians, token) == 0 and await _unread(physicians, other_token) == 1

    await hospital.publish(contract.ANSWER, _answer(request_id, "Rendez-vous proposé le 3 mars."))

    async def unread_again() -> int | None:
        return await _unread(physicians, token) or None

    assert await eventually(unread_again, what="the hospital's answer unread") == 1
    await physicians.call(api.GET_REQUEST, api.RequestRef(id=request_id), token=token)
    assert await _unread(physicians, token) == 0
    assert await _unread(physicians, other_token) == 1  # only its own physician opens it
    admin = (await physicians.login(await physicians.create(role="admin"))).token
    for stranger in (admin, nurse_token, "not a token"):  # no one else has a count
        with pytest.raises(NotFound):
            await physicians.call(api.COUNT_UNREAD_ANSWERS, Empty(), token=stranger)


async def test_the_navigation_counts_them_and_mes_demandes_marks_them(
    sign_in: SignIn, physicians: Physicians, desk: tuple[str, str]
) -> None:
    code, nurse_token = desk
    doctor = await physicians.create()
    web = await sign_in(doctor)
    request_id = await _sent_by(physicians, code, doctor)
    read_id = await _sent_by(physicians, code, doctor)
    await _staff_answer(physicians, nurse_token, request_id)

    text = await (await web.get("/requests")).text()
    assert "(1 demande avec une réponse non lue)" in text and 'id="requests-region"' in text
    [unread_row] = [row for row in text.split("<tr") if UNREAD_ROW in row]  # in words, not only bold
    assert f"/requests/{request_id}" in unread_row and read_id not in unread_row
    documents = await (await web.get("/documents")).text()  # every page with counters counts it
    assert "(1 demande avec une réponse non lue)" in documents

    partial = await (await web.get("/requests", headers={"X-Portal-Partial": "1"})).text()
    assert 'id="unread-answers"' in partial and 'id="requests-region"' in partial and "<html" not in partial

    opened = await (await web.get(f"/requests/{request_id}")).text()
    assert "Coronarographie indiquée le 3 mars." in opened and "réponse non lue" not in opened
    assert 'data-live-events="/events"' in opened and 'id="request-region"' in opened
    after = await (await web.get("/requests")).text()
    assert "réponse non lue" not in after and UNREAD_ROW not in after


async def _next_event(stream: aiohttp.ClientResponse, deadline: float = 15.0) -> bytes:
    """The next event's name line (keep-alives and the rest skipped), within the deadline."""
    async with asyncio.timeout(deadline):
        while not (line := await stream.content.readline()).startswith(b"event: "):
            pass
    return line


async def _listening(web: WebClient) -> aiohttp.ClientResponse:
    stream = await web.session.get(f"{web.base}/events", timeout=aiohttp.ClientTimeout(total=60))
    assert stream.status == 200 and await stream.content.readline() == b"retry: 3000\n"
    return stream


async def test_an_answer_reaches_its_physician_s_event_streams_and_no_one_else_s(
    sign_in: SignIn, physicians: Physicians, hospital: Hospital, portal_events: PortalEvents, desk: tuple[str, str]
) -> None:
    code, nurse_token = desk
    doctor, colleague = await physicians.create(), await physicians.create()
    request_id = await _sent_by(physicians, code, doctor)
    episode = hospital.episode()
    await episode.designate(colleague.gln)
    mine, theirs = await _listening(await sign_in(doctor)), await _listening(await sign_in(colleague))
    try:
        await _staff_answer(physicians, nurse_token, request_id)
        assert await _next_event(mine) == b"event: answered\n"
        # Had the colleague's stream been told of it, that would come before their own document's event.
        await deliver(portal_events, episode)
        assert await _next_event(theirs) == b"event: delivered\n"
    finally:
        mine.close()
        theirs.close()


async def _emails(stack: Stack, physician: Physician, since: int) -> list[dict]:
    return outbox_messages(stack.outbox_dir, "email", f"{physician.login}@cabinet.example.ch", since)


async def _ledger(stack: Stack, physician: Physician) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(with_database(stack.admin_database_url, stack.config.database))
    try:
        return await conn.fetch(
            "SELECT kind, fields::text AS fields, state FROM notify.outgoing_emails WHERE account_id = $1",
            physician.account_id,
        )
    finally:
        await conn.close()


async def test_the_physician_is_emailed_once_a_link_and_nothing_of_the_request(
    stack: Stack, physicians: Physicians, desk: tuple[str, str]
) -> None:
    code, nurse_token = desk
    doctor = await physicians.create()
    request_id = await _sent_by(physicians, code, doctor)
    heard: list[bytes] = []

    async def hear(msg: Msg) -> None:
        heard.append(msg.data)

    gateway = await stack.connect_nats("gateway")  # hears the event as the gateways do
    await gateway.subscribe(api.ANSWER_ARRIVED.subject, cb=hear)
    since = time.time_ns()
    try:
        await _staff_answer(physicians, nurse_token, request_id, text="Coronarographie indiquée chez Mme Muster.")

        async def mailed() -> list[dict] | None:
            return await _emails(stack, doctor, since) or None

        [message] = await eventually(mailed, what="an email to the physician")
        assert message["subject"] == "Réponse à l’une de vos demandes"
        assert f"{stack.config.public_url}/requests/{request_id}" in message["body"]
        text = f"{message['subject']} {message['body']}"
        for secret in ("Avis", "Muster", "Anna", "1964", "Coronarographie", "Douleurs", code):
            assert secret not in text

        # The same event again (as a redelivery would bring it, past the stream's deduplication):
        # notify finds it done, and sends nothing more.
        [said] = [data for data in heard if str(decode(api.AnswerArrived, data).request_id) == request_id]
        processed = await metric(stack, "notify", "portal_messages_processed_total", consumer="notify-answered")
        requests_bus = await stack.connect_nats("requests")
        try:
            await requests_bus.jetstream().publish(
                api.ANSWER_ARRIVED.subject, said, headers={"Nats-Msg-Id": uuid.uuid4().hex}
            )
        finally:
            await requests_bus.close()

        async def taken_again() -> bool | None:
            now = await metric(stack, "notify", "portal_messages_processed_total", consumer="notify-answered")
            return True if now > processed else None

        await eventually(taken_again, what="the event processed again")
    finally:
        await gateway.close()
    rows = await _ledger(stack, doctor)
    assert [(row["kind"], json.loads(row["fields"]), row["state"]) for row in rows] == [
        ("request_answered", {"request_id": request_id}, "sent")
    ]
    assert len(await _emails(stack, doctor, since)) == 1


async def test_a_physician_who_wants_no_email_gets_none(
    stack: Stack, physicians: Physicians, desk: tuple[str, str]
) -> None:
    code, nurse_token = desk
    quiet, other = await physicians.create(), await physicians.create()
    quiet_token = (await physicians.login(quiet)).token
    profile = identity.Profile(
        notify_new_documents="none",
        specialties=[],
        patients_scope="all",
        documents_scope="all",
        landing_page="documents",
    )
    await physicians.call(identity.SAVE_PROFILE, profile, token=quiet_token)
    quiet_request, _ = await _sent(physicians, code, quiet_token)
    other_request = await _sent_by(physicians, code, other)
    since = time.time_ns()
    await _staff_answer(physicians, nurse_token, quiet_request)
    await _staff_answer(physicians, nurse_token, other_request)  # notify takes the events in order

    async def mailed() -> list[dict] | None:
        return await _emails(stack, other, since) or None

    await eventually(mailed, what="the other physician's email")
    assert await _emails(stack, quiet, since) == [] and await _ledger(stack, quiet) == []
