"""Each kind of request from draft to closed through the pages (issue 13), the bus under them:
the physician saves a draft with a file, sends it; the service's member takes it, asks for more;
the physician answers with a file; the member answers and closes it. Each step is published as
its JSON Schema says, and the physician's page shows where the request stands."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from common.contracts import hospital_requests as contract
from common.contracts import requests as api
from common.contracts.schemas import validate_published
from common.errors import InvalidRequest
from deploy.demo import STAFF_SERVICES, ensure_demo_staff
from deploy.hospital_sim import DEMO_SERVICES, publish_demo_services
from deploy.stack import Stack
from gateway.request_forms import form_fields

from . import request_contract_samples as samples
from .portal import Hospital, Physicians, PortalEvents, eventually
from .test_request_attachments import PNG, a_pdf
from .test_request_drafts import PATIENT, _published
from .test_services_directory import _service
from .web import SignIn

BOARD = "TB-LIFE"


@pytest.mark.parametrize("kind", ["consultation", "tumor_board", "message"])
async def test_each_kind_from_draft_to_closed_through_the_pages(
    kind: str,
    sign_in: SignIn,
    physicians: Physicians,
    hospital: Hospital,
    portal_events: PortalEvents,
    requests_db: asyncpg.Pool,
) -> None:
    code = f"LIFE-{uuid.uuid4().hex[:6]}"
    accepts = ["consultation", "tumor_board", "message"]
    boards = [{"code": BOARD, "name": "Colloque"}]
    await hospital.publish(
        contract.SERVICES, _service(code, "Service", datetime.now(UTC), accepts=accepts, boards=boards)
    )
    await eventually(lambda: requests_db.fetchval("SELECT 1 FROM services WHERE code = $1", code), what="the service")
    nurse = await physicians.create(role="service_staff")
    admin = (await physicians.login(await physicians.create(role="admin"))).token
    await physicians.call(api.SET_MEMBERS, api.ServiceMembers(code=code, account_ids=[nurse.account_id]), token=admin)
    doctor, desk = await physicians.create(), await sign_in(nurse)
    web = await sign_in(doctor)

    choice = {"consultation": "adults", "tumor_board": BOARD, "message": ""}[kind]
    typed = [("service", f"{code}|{choice}"), ("subject", f"Demande {kind}"), ("urgency", "routine")]
    typed += [(name, str(value)) for name, value in samples.FIELDS[kind].items() if name in _form_names(kind)]
    if kind != "message":  # a message may name no patient
        typed += [(name, str(PATIENT[name])) for name in ("family_name", "given_name", "birth_date", "sex")]
    draft = await web.post_multipart(
        f"/requests/new/{kind}", [*typed, ("action", "save")], [("files", "a.pdf", a_pdf(1000))], form_page="/requests"
    )
    assert draft.status == 303
    location = draft.headers["Location"]
    request_id = location.rsplit("/", 1)[1]
    assert "brouillon" in await (await web.get(location)).text()
    kept = await requests_db.fetchval(
        "SELECT attachment_id::text FROM attachments WHERE request_id = $1", uuid.UUID(request_id)
    )
    sent = await web.post_multipart(
        location, [*typed, ("keep_file", f"{kept}:1000:a.pdf"), ("action", "submit")], [], form_page="/requests"
    )
    assert sent.status == 303
    submitted = await _published(portal_events, request_id)
    validate_published(contract.SUBMITTED, submitted)
    assert submitted["request"]["kind"] == kind and len(submitted["attachments"]) == 1

    inbox = f"/inbox/requests/{request_id}"
    for step, form in (("take", {}), ("answer", {"text": "Un complément ?", "needs_reply": "1"})):
        assert (await desk.post_form(f"{inbox}/{step}", form, form_page=inbox)).status == 303
    assert "complément demandé" in await (await web.get(location)).text()
    reply = await web.post_multipart(
        f"{location}/reply", [("text", "Voici")], [("files", "b.png", PNG)], form_page=location
    )
    assert reply.status == 303
    answer = await desk.post_multipart(f"{inbox}/answer", [("text", "Réponse finale")], [], form_page=inbox)
    assert answer.status == 303 and "réponse disponible" in await (await web.get(location)).text()
    assert (await desk.post_form(f"{inbox}/close", {}, form_page=inbox)).status == 303
    shown = await (await web.get(location)).text()
    assert "clôturée" in shown and "Réponse finale" in shown and "b.png" in shown

    # The last status leaves through the outbox after the page's commit: awaited, then all counted.
    await portal_events.wait_for(contract.STATUS_FROM_STAFF, request_id=request_id, status="closed")
    statuses = [
        body["status"]
        for body in portal_events.matching(contract.STATUS_FROM_STAFF)
        if body["request_id"] == request_id
    ]
    assert statuses == ["in_progress", "information_needed", "answered", "closed"]
    for body in portal_events.matching(contract.STATUS_FROM_STAFF):
        validate_published(contract.STATUS_FROM_STAFF, body)
    message = await portal_events.wait_for(contract.PHYSICIAN_MESSAGE, request_id=request_id)
    validate_published(contract.PHYSICIAN_MESSAGE, message)


def _form_names(kind: str) -> set[str]:
    return {item.name for item in form_fields(kind, "fr")}


async def test_control_characters_and_overlong_text_are_refused_by_field(
    sign_in: SignIn, physicians: Physicians, hospital: Hospital, requests_db: asyncpg.Pool
) -> None:
    code = f"CTRL-{uuid.uuid4().hex[:6]}"
    await hospital.publish(contract.SERVICES, _service(code, "Service", datetime.now(UTC)))
    await eventually(lambda: requests_db.fetchval("SELECT 1 FROM services WHERE code = $1", code), what="the service")
    doctor = await physicians.create()
    token = (await physicians.login(doctor)).token
    for draft in (
        api.Draft.model_construct(kind="consultation", service=code, subject="Avis\x07", fields={}),
        api.Draft.model_construct(kind="consultation", service=code, subject="Avis", fields={"reason": "a\x1bb"}),
        api.Draft.model_construct(kind="consultation", service=code, subject="x" * 201, fields={}),
    ):
        with pytest.raises(InvalidRequest):  # the service checks what any caller sends, not the gateway alone
            await physicians.call(api.SAVE_DRAFT, draft, token=token)
    web = await sign_in(doctor)
    form = [
        ("service", f"{code}|adults"),
        ("subject", "Avis\x07urgent"),
        ("reason", "Douleurs typées"),
        ("action", "save"),
    ]
    refused = await web.post_multipart("/requests/new/consultation", form, [], form_page="/requests")
    page = await refused.text()
    assert refused.status == 400 and "Douleurs typées" in page and 'id="subject-error"' in page
    assert not await requests_db.fetchval(
        "SELECT count(*) FROM requests WHERE account_id = $1", uuid.UUID(doctor.account_id)
    )
    overlong = [("service", f"{code}|adults"), ("subject", "Avis"), ("reason", "x" * 100_000), ("action", "save")]
    too_long = await web.post_multipart("/requests/new/consultation", overlong, [], form_page="/requests")
    assert too_long.status == 400 and "field-invalid" in await too_long.text()  # cut, named, never held whole


async def test_the_demo_hospital_s_services_and_their_staff_member(
    stack: Stack, hospital: Hospital, requests_db: asyncpg.Pool
) -> None:
    """What `make run` sets up for requests: the demo hospital's services, and a member of two."""
    for _ in range(2):  # each `make run` does it again: nothing twice
        await publish_demo_services(hospital.js)
        await ensure_demo_staff(stack.service_dsns["identity"], stack.service_dsns["requests"])
    codes = [code for code, *_ in DEMO_SERVICES]
    kept = await requests_db.fetch("SELECT code, accepts FROM services WHERE code = ANY($1) ORDER BY code", codes)
    assert sorted(row["code"] for row in kept) == sorted(codes)
    members = await requests_db.fetch("SELECT service FROM service_members WHERE service = ANY($1)", codes)
    assert sorted(row["service"] for row in members) == sorted(STAFF_SERVICES)
