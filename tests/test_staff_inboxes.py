"""The services' inboxes (issue 13, F3.4), through the bus: a member takes a request, asks the
physician for more, answers and closes it; each step is published on `portal.requests.status`
(by the member's login, as its JSON Schema says) and the physician sees it; members of other
services, physicians and administrators see nothing of it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from common.contracts import hospital_requests as contract
from common.contracts import requests as api
from common.contracts.schemas import validate_published
from common.errors import InvalidRequest, NotFound
from gateway.views.inboxes import BOXES
from services.requests import inboxes

from .portal import Hospital, Physician, Physicians, PortalEvents, eventually
from .test_request_drafts import _sent
from .test_services_directory import _service
from .web import SignIn


async def _service_with(
    physicians: Physicians, hospital: Hospital, requests_db: asyncpg.Pool, *staff: Physician
) -> str:
    code = f"SRV-{uuid.uuid4().hex[:6]}"
    await hospital.publish(contract.SERVICES, _service(code, f"Service {code}", datetime.now(UTC)))
    await eventually(
        lambda: requests_db.fetchval("SELECT code FROM services WHERE code = $1", code), what="the service"
    )
    admin = (await physicians.login(await physicians.create(role="admin"))).token
    members = api.ServiceMembers(code=code, account_ids=[member.account_id for member in staff])
    await physicians.call(api.SET_MEMBERS, members, token=admin)
    return code


async def _totals(physicians: Physicians, code: str, token: str) -> dict[str, int]:
    """How many requests each box says it holds."""
    return {
        box: (await physicians.call(api.INBOX, api.InboxQuery(service=code, box=box), token=token)).total
        for box in BOXES
    }


async def _counts_hold(requests_db: asyncpg.Pool, code: str) -> None:
    """The counts kept for the service's boxes are what counting their requests gives."""
    for box in ("new", "waiting", "closed"):
        kept = await requests_db.fetchval(
            "SELECT coalesce((SELECT requests FROM box_counts WHERE service = $1 AND box = $2), 0)", code, box
        )
        counted = await requests_db.fetchval(
            f"SELECT count(*) FROM requests WHERE service = $1 AND {inboxes.BOXES[box]}", code
        )
        assert kept == counted, box


async def test_a_member_works_a_request_from_new_to_closed(
    physicians: Physicians, hospital: Hospital, requests_db: asyncpg.Pool, portal_events: PortalEvents
) -> None:
    nurse = await physicians.create(role="service_staff")
    code = await _service_with(physicians, hospital, requests_db, nurse)
    request_id, doctor_token = await _sent(physicians, code)
    token = (await physicians.login(nurse)).token

    assert [
        service.code for service in (await physicians.call(api.MY_SERVICES, api.ListServices(), token=token)).services
    ] == [code]
    new = await physicians.call(api.INBOX, api.InboxQuery(service=code, box="new"), token=token)
    assert [item.id for item in new.items] == [request_id] and new.items[0].physician_name.endswith("Test")
    assert await _totals(physicians, code, token) == {"new": 1, "mine": 0, "waiting": 0, "closed": 0}

    taken = await physicians.call(api.STAFF_STEP, api.StaffStep(id=request_id, step="take"), token=token)
    assert taken.status == "in_progress"
    mine = await physicians.call(api.INBOX, api.InboxQuery(service=code, box="mine"), token=token)
    assert [item.id for item in mine.items] == [request_id] and mine.items[0].taken_by_me
    assert await _totals(physicians, code, token) == {"new": 0, "mine": 1, "waiting": 0, "closed": 0}

    asked = await physicians.call(
        api.STAFF_ANSWER, api.StaffAnswer(id=request_id, text="Un ECG récent ?", needs_reply=True), token=token
    )
    assert asked.status == "information_needed"
    waiting = await physicians.call(api.INBOX, api.InboxQuery(service=code, box="waiting"), token=token)
    assert [item.id for item in waiting.items] == [request_id]
    assert await _totals(physicians, code, token) == {"new": 0, "mine": 1, "waiting": 1, "closed": 0}
    await physicians.call(
        api.STAFF_ANSWER, api.StaffAnswer(id=request_id, text="Coronarographie indiquée."), token=token
    )
    closed = await physicians.call(api.STAFF_STEP, api.StaffStep(id=request_id, step="close"), token=token)
    assert closed.status == "closed"
    assert await _totals(physicians, code, token) == {"new": 0, "mine": 0, "waiting": 0, "closed": 1}
    with pytest.raises(InvalidRequest):
        await physicians.call(api.STAFF_ANSWER, api.StaffAnswer(id=request_id, text="Encore"), token=token)

    seen = await physicians.call(api.GET_REQUEST, api.RequestRef(id=request_id), token=doctor_token)
    assert seen.status == "closed" and [m.text for m in seen.messages] == [
        "Un ECG récent ?",
        "Coronarographie indiquée.",
    ]

    async def published() -> list[dict] | None:
        found = [
            body for body in portal_events.matching(contract.STATUS_FROM_STAFF) if body["request_id"] == request_id
        ]
        return found if len(found) == 4 else None

    changes = await eventually(published, what="four statuses published")
    assert [change["status"] for change in changes] == ["in_progress", "information_needed", "answered", "closed"]
    assert {change["by"] for change in changes} == {nurse.login}
    for change in changes:
        validate_published(contract.STATUS_FROM_STAFF, change)


async def test_no_one_but_the_service_s_members_sees_its_requests(
    physicians: Physicians, hospital: Hospital, requests_db: asyncpg.Pool
) -> None:
    member, outsider = await physicians.create(role="service_staff"), await physicians.create(role="service_staff")
    code = await _service_with(physicians, hospital, requests_db, member)
    await _service_with(physicians, hospital, requests_db, outsider)  # the outsider works another service
    request_id, doctor_token = await _sent(physicians, code)
    outsider_token = (await physicians.login(outsider)).token
    admin_token = (await physicians.login(await physicians.create(role="admin"))).token
    for token in (outsider_token, admin_token, doctor_token, "not a token"):
        with pytest.raises(NotFound):
            await physicians.call(api.INBOX, api.InboxQuery(service=code), token=token)
        with pytest.raises(NotFound):
            await physicians.call(api.OPEN_FOR_STAFF, api.RequestRef(id=request_id), token=token)
        with pytest.raises(NotFound):
            await physicians.call(api.STAFF_STEP, api.StaffStep(id=request_id, step="take"), token=token)
        with pytest.raises(NotFound):
            await physicians.call(api.STAFF_ANSWER, api.StaffAnswer(id=request_id, text="?"), token=token)
    still = await physicians.call(api.GET_REQUEST, api.RequestRef(id=request_id), token=doctor_token)
    assert still.status == "submitted" and still.messages == []
    # a member does not see a draft either
    draft = await physicians.call(api.SAVE_DRAFT, api.Draft(kind="consultation", service=code), token=doctor_token)
    member_token = (await physicians.login(member)).token
    with pytest.raises(NotFound):
        await physicians.call(api.OPEN_FOR_STAFF, api.RequestRef(id=draft.id), token=member_token)


async def test_the_inbox_pages(
    sign_in: SignIn, physicians: Physicians, hospital: Hospital, requests_db: asyncpg.Pool
) -> None:
    nurse = await physicians.create(role="service_staff")
    code = await _service_with(physicians, hospital, requests_db, nurse)
    request_id, doctor_token = await _sent(physicians, code)
    web = await sign_in(nurse)
    home = await web.get("/")
    assert home.status == 303 and home.headers["Location"] == "/inbox"
    inbox = await (await web.get(f"/inbox?service={code}&box=new")).text()
    assert f"/inbox/requests/{request_id}" in inbox
    page = f"/inbox/requests/{request_id}"
    assert (await web.post_form(f"{page}/take", {}, form_page=page)).status == 303
    empty = await web.post_form(f"{page}/answer", {"text": "  "}, form_page=page)
    assert empty.status == 400 and "field-invalid" in await empty.text()
    answered = await web.post_form(f"{page}/answer", {"text": "Rendez-vous le 3 mars <à 9 h>"}, form_page=page)
    assert answered.status == 303
    shown = await (await web.get(page)).text()
    assert "Rendez-vous le 3 mars &lt;à 9 h&gt;" in shown and "réponse disponible" in shown
    assert (await web.post_form(f"{page}/close", {}, form_page=page)).status == 303
    seen = await physicians.call(api.GET_REQUEST, api.RequestRef(id=request_id), token=doctor_token)
    assert seen.status == "closed" and [m.text for m in seen.messages] == ["Rendez-vous le 3 mars <à 9 h>"]


async def test_the_physician_answers_what_the_service_asked(
    sign_in: SignIn, physicians: Physicians, hospital: Hospital, requests_db: asyncpg.Pool, portal_events: PortalEvents
) -> None:
    nurse = await physicians.create(role="service_staff")
    code = await _service_with(physicians, hospital, requests_db, nurse)
    doctor = await physicians.create()
    web = await sign_in(doctor)
    doctor_token = (await physicians.login(doctor)).token
    request_id, _ = await _sent(physicians, code, doctor_token)
    token = (await physicians.login(nurse)).token
    await physicians.call(api.STAFF_STEP, api.StaffStep(id=request_id, step="take"), token=token)
    await physicians.call(
        api.STAFF_ANSWER, api.StaffAnswer(id=request_id, text="Un ECG ?", needs_reply=True), token=token
    )

    page = f"/requests/{request_id}"
    empty = await web.post_form(f"{page}/reply", {"text": ""}, form_page=page)
    assert empty.status == 400 and "field-invalid" in await empty.text()
    sent = await web.post_form(f"{page}/reply", {"text": "ECG du 1er décembre : normal."}, form_page=page)
    assert sent.status == 303
    found = await physicians.call(api.OPEN_FOR_STAFF, api.RequestRef(id=request_id), token=token)
    assert found.status == "in_progress" and found.messages[-1].author_kind == "physician"

    async def published() -> dict | None:
        found = [
            body for body in portal_events.matching(contract.PHYSICIAN_MESSAGE) if body["request_id"] == request_id
        ]
        return found[0] if found else None

    message = await eventually(published, what="the physician's message published")
    validate_published(contract.PHYSICIAN_MESSAGE, message)
    assert message["message"]["text"] == "ECG du 1er décembre : normal."

    await physicians.call(api.STAFF_STEP, api.StaffStep(id=request_id, step="close"), token=token)
    with pytest.raises(InvalidRequest):  # a closed request takes no more messages
        await physicians.call(api.REPLY, api.PhysicianReply(id=request_id, text="Encore"), token=doctor_token)


async def test_a_box_comes_a_page_at_a_time_the_urgent_first_then_the_longest_waiting(
    sign_in: SignIn, physicians: Physicians, hospital: Hospital, requests_db: asyncpg.Pool
) -> None:
    nurse = await physicians.create(role="service_staff")
    code = await _service_with(physicians, hospital, requests_db, nurse)
    await requests_db.execute(  # 30 sent requests, "Avis 30" the oldest; every tenth urgent
        "INSERT INTO requests (id, account_id, physician, physician_name, kind, service, domain, subject, urgency, "
        "status, submitted_at) SELECT gen_random_uuid(), gen_random_uuid(), 'gln:7601000000019', 'Dr Test', "
        "'consultation', $1, 'adults', 'Avis ' || n, CASE WHEN n % 10 = 0 THEN 'urgent' ELSE 'routine' END, "
        "'submitted', now() - n * interval '1 hour' FROM generate_series(1, 30) AS n",
        code,
    )
    await _counts_hold(requests_db, code)
    token = (await physicians.login(nurse)).token

    async def page(number: int) -> api.Inbox:
        return await physicians.call(api.INBOX, api.InboxQuery(service=code, page=number, per_page=25), token=token)

    first, second = await page(1), await page(2)
    assert (first.total, second.total, len(first.items), len(second.items)) == (30, 30, 25, 5)
    subjects = [item.subject for item in first.items + second.items]
    assert subjects == ["Avis 30", "Avis 20", "Avis 10"] + [f"Avis {n}" for n in range(29, 0, -1) if n % 10]
    assert (await page(3)).items == []
    assert (await physicians.call(api.INBOX, api.InboxQuery(service=code, box="closed"), token=token)).total == 0

    web = await sign_in(nurse)
    shown = await (await web.get(f"/inbox?service={code}&box=new")).text()
    assert "30 demandes" in shown and "Page 1 sur 2" in shown
    assert f"/inbox?service={code}&amp;box=new&amp;page=2" in shown and ">Avis 5<" not in shown
    last = await (await web.get(f"/inbox?service={code}&box=new&page=2")).text()
    assert ">Avis 5<" in last and ">Avis 30<" not in last and f"service={code}&amp;box=new&amp;page=1" in last
    for beyond in ("3", "0", "x"):
        assert (await web.get(f"/inbox?service={code}&box=new&page={beyond}")).status == 404
    assert (await web.get("/inbox?service=SRV-NOT-MINE&box=new")).status == 404

    async with requests_db.acquire() as conn, conn.transaction():  # each box's count follows every change
        await conn.execute(
            "UPDATE requests SET status = 'in_progress', assigned_to = $2 WHERE service = $1 AND subject LIKE 'Avis 1_'",
            code,
            uuid.UUID(nurse.account_id),
        )
        await conn.execute(
            "UPDATE requests SET status = 'information_needed' WHERE service = $1 AND subject < 'Avis 13'", code
        )
        await conn.execute("UPDATE requests SET status = 'closed' WHERE service = $1 AND subject LIKE 'Avis 2_'", code)
        await conn.execute("UPDATE requests SET status = 'received' WHERE service = $1 AND subject = 'Avis 3'", code)
        await conn.execute(
            "DELETE FROM requests WHERE service = $1 AND subject IN ('Avis 4', 'Avis 12', 'Avis 20')", code
        )
    await _counts_hold(requests_db, code)
    assert await _totals(physicians, code, token) == {"new": 8, "mine": 9, "waiting": 3, "closed": 9}

    loner = await sign_in(await physicians.create(role="service_staff"))  # a member of no service
    alone = await loner.get("/inbox")
    assert alone.status == 200 and "la boîte d’aucun service" in (await alone.text()).replace("'", "’")
