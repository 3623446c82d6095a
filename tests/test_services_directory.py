"""The hospital's directory of services (`dpi.services`, contract 1.1) reaches the requests
service, which alone handles it: the documents service leaves it, and rejects nothing of it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from common.contracts import hospital_requests as contract
from common.contracts import requests as api
from common.errors import Forbidden, NotFound, Unauthenticated
from services.requests.hospital_replies import UNKNOWN_REQUEST

from . import request_contract_samples as request_samples
from .portal import Hospital, Physicians, PortalEvents, eventually
from .test_audit_and_notifications import _audited
from .web import SignIn


def _service(code: str, name: str, recorded_at: datetime, **fields: Any) -> dict[str, Any]:
    service = {
        "code": code,
        "name": name,
        "domain": "adults",
        "accepts": ["consultation", "message"],
        "boards": [],
        "active": True,
        **fields,
    }
    return {"event_id": uuid.uuid4().hex, "service": service, "recorded_at": recorded_at.isoformat()}


async def test_a_service_is_kept_and_the_latest_change_wins(hospital: Hospital, requests_db: asyncpg.Pool) -> None:
    code, now = f"CARD-{uuid.uuid4().hex[:6]}", datetime.now(UTC)
    boards = [{"code": "TB-THOR", "name": "Colloque thoracique"}]
    await hospital.publish(
        contract.SERVICES, _service(code, "Cardiologie", now, accepts=["tumor_board"], boards=boards)
    )

    async def kept() -> asyncpg.Record | None:
        return await requests_db.fetchrow("SELECT * FROM services WHERE code = $1", code)

    row = await eventually(kept, what="the service in the directory")
    assert row["name"] == "Cardiologie" and row["accepts"] == ["tumor_board"] and row["active"]

    # An older change, delivered late, changes nothing; a newer one does.
    await hospital.publish(contract.SERVICES, _service(code, "Ancien nom", now - timedelta(hours=1)))
    await hospital.publish(
        contract.SERVICES, _service(code, "Cardiologie adulte", now + timedelta(seconds=1), active=False)
    )

    async def renamed() -> asyncpg.Record | None:
        row = await kept()
        return row if row is not None and row["name"] != "Cardiologie" else None

    row = await eventually(renamed, what="the newer change")
    assert row["name"] == "Cardiologie adulte" and not row["active"]


async def test_a_bad_service_is_rejected_once_by_the_requests_service(
    hospital: Hospital, portal_events: PortalEvents
) -> None:
    message = _service("ONCO", "Oncologie", datetime.now(UTC), domain="veterinary")
    await hospital.publish(contract.SERVICES, message)
    rejected = await portal_events.wait_for("portal.rejected", event_id=message["event_id"])
    assert rejected["subject"] == contract.SERVICES and rejected["reason"].startswith("service.domain:")
    # the documents service saw it too, and left it to its owner: one rejection, not two
    good = _service(f"NEURO-{uuid.uuid4().hex[:6]}", "Neurologie", datetime.now(UTC))
    await hospital.publish(contract.SERVICES, good)
    await hospital.publish(contract.SERVICES, {**good, "event_id": uuid.uuid4().hex, "x_unknown": 1})
    await portal_events.wait_for("portal.rejected", reason="x_unknown: Extra inputs are not permitted")
    assert len(portal_events.matching("portal.rejected", event_id=message["event_id"])) == 1


async def test_the_services_are_listed_by_name_and_the_inactive_ones_to_administrators_only(
    hospital: Hospital, physicians: Physicians, requests_db: asyncpg.Pool
) -> None:
    tag, now = uuid.uuid4().hex[:6], datetime.now(UTC)
    active, hidden = f"A-{tag}", f"H-{tag}"
    await hospital.publish(contract.SERVICES, _service(active, f"Angiologie {tag}", now))
    await hospital.publish(contract.SERVICES, _service(hidden, f"Hématologie {tag}", now, active=False))

    async def both_kept() -> bool | None:
        count = await requests_db.fetchval("SELECT count(*) FROM services WHERE code = ANY($1)", [active, hidden])
        return count == 2 or None

    await eventually(both_kept, what="both services kept")
    doctor, admin = await physicians.create(), await physicians.create(role="admin")
    doctor_token, admin_token = (await physicians.login(doctor)).token, (await physicians.login(admin)).token

    async def codes(token: str, include_inactive: bool) -> list[str]:
        listed = await physicians.call(
            api.LIST_SERVICES, api.ListServices(include_inactive=include_inactive), token=token
        )
        return [service.code for service in listed.services if service.code in (active, hidden)]

    assert await codes(doctor_token, include_inactive=False) == [active]
    assert await codes(doctor_token, include_inactive=True) == [active]  # not an administrator
    assert await codes(admin_token, include_inactive=True) == [active, hidden]
    with pytest.raises(Unauthenticated):
        await physicians.call(api.LIST_SERVICES, api.ListServices(), token="not a token")


async def test_an_answer_or_a_status_for_an_unknown_request_is_rejected(
    hospital: Hospital, portal_events: PortalEvents
) -> None:
    """CONTRACT.md 1.1: an unknown `request_id` is a rejection, like any bad message."""
    for subject in (contract.ANSWER, contract.STATUS_FROM_HOSPITAL):
        message = {**request_samples.SAMPLES[subject][0](), "event_id": uuid.uuid4().hex}
        await hospital.publish(subject, message)
        rejected = await portal_events.wait_for("portal.rejected", event_id=message["event_id"])
        assert rejected == {"event_id": message["event_id"], "subject": subject, "reason": UNKNOWN_REQUEST}


async def test_administrators_complete_the_directory_and_bad_fields_save_nothing(
    sign_in: SignIn, physicians: Physicians, hospital: Hospital, requests_db: asyncpg.Pool, portal_events: PortalEvents
) -> None:
    admin = await sign_in(await physicians.create(role="admin"))
    code = f"PED-{uuid.uuid4().hex[:6]}"
    fields = {
        "code": code,
        "name": "Pédiatrie générale",
        "domain": "paediatrics",
        "consultation": "1",
        "tumor_board": "1",
        "boards": "TB-PED | Colloque d'oncologie pédiatrique\n\n",
        "active": "1",
    }
    bad = await admin.post_form("/admin/services", {**fields, "boards": "no bar here"}, form_page="/admin/services/new")
    assert bad.status == 400 and "Chaque ligne doit avoir un code et un nom" in await bad.text()
    bad = await admin.post_form("/admin/services", {**fields, "code": "two words"}, form_page="/admin/services/new")
    assert bad.status == 400
    assert not await requests_db.fetchval("SELECT count(*) FROM services WHERE code = $1", code)

    saved = await admin.post_form("/admin/services", fields, form_page="/admin/services/new")
    assert saved.status == 303 and saved.headers["Location"] == "/admin/services"
    row = await requests_db.fetchrow("SELECT * FROM services WHERE code = $1", code)
    assert row["accepts"] == ["consultation", "tumor_board"] and row["changed_by"] != "hospital"
    listing = await (await admin.get("/admin/services")).text()
    assert "Pédiatrie générale" in listing and "Colloque d&#39;oncologie pédiatrique" in listing

    changed = await admin.post_form(f"/admin/services/{code}", {**fields, "name": "Pédiatrie", "active": ""})
    assert changed.status == 303
    assert not await requests_db.fetchval("SELECT active FROM services WHERE code = $1", code)
    [created, hidden] = await _audited(portal_events, code, 2)  # forwarded to the hospital, as FHIR
    assert created["type"]["code"] == "110100"

    # A hospital change dated earlier than the administrator's changes nothing.
    await hospital.publish(contract.SERVICES, _service(code, "Ancien", datetime.now(UTC) - timedelta(hours=1)))
    assert (await (await admin.get(f"/admin/services/{code}")).text()).count("Pédiatrie") >= 1


async def test_administrators_choose_who_works_a_service_s_inbox(
    sign_in: SignIn, physicians: Physicians, hospital: Hospital, requests_db: asyncpg.Pool
) -> None:
    code = f"URG-{uuid.uuid4().hex[:6]}"
    await hospital.publish(contract.SERVICES, _service(code, "Urgences", datetime.now(UTC)))
    await eventually(
        lambda: requests_db.fetchval("SELECT code FROM services WHERE code = $1", code), what="the service kept"
    )
    admin_account = await physicians.create(role="admin")
    admin = await sign_in(admin_account)
    nurse, secretary = await physicians.create(role="service_staff"), await physicians.create(role="service_staff")
    page = await (await admin.get(f"/admin/services/{code}")).text()
    assert nurse.account_id in page and secretary.account_id in page

    async def members() -> set[str]:
        rows = await requests_db.fetch("SELECT account_id FROM service_members WHERE service = $1", code)
        return {str(row["account_id"]) for row in rows}

    chosen = await admin.post_form(
        f"/admin/services/{code}/members", {"member": nurse.account_id}, form_page=f"/admin/services/{code}"
    )
    assert chosen.status == 303 and await members() == {nurse.account_id}
    token = (await physicians.login(admin_account)).token
    changed = await physicians.call(
        api.SET_MEMBERS, api.ServiceMembers(code=code, account_ids=[secretary.account_id]), token=token
    )
    assert changed.account_ids == [secretary.account_id] and await members() == {secretary.account_id}
    # Not an id, or not an administrator: nothing changes.
    bad = await admin.post_form(
        f"/admin/services/{code}/members", {"member": "not-an-id"}, form_page=f"/admin/services/{code}"
    )
    assert bad.status == 400 and await members() == {secretary.account_id}
    doctor_token = (await physicians.login(await physicians.create())).token
    with pytest.raises(Forbidden):
        await physicians.call(api.SET_MEMBERS, api.ServiceMembers(code=code, account_ids=[]), token=doctor_token)
    with pytest.raises(NotFound):
        await physicians.call(api.GET_MEMBERS, api.ServiceRef(code="NO-SUCH-SERVICE"), token=token)
    assert await members() == {secretary.account_id}
