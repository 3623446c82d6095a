"""The patient chosen among Mes patients (F3.1, F3.2), messaging with a service (F3.3) and the
draft's autosave (F3.2), through the bus as the gateway asks and through the pages: the requests
service asks the documents service whether a chosen patient is the physician's, and sends them with
the hospital's id; a message may name no patient; autosave saves a draft, never sends it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from common.contracts import documents
from common.contracts import hospital_requests as contract
from common.contracts import requests as api
from common.contracts.schemas import validate_published
from common.errors import InvalidRequest
from common.settings import SettingsError
from deploy import hospital_sim
from gateway.config import GatewaySettings

from .portal import Hospital, Physician, Physicians, PortalEvents, deliver, eventually
from .test_request_drafts import _published
from .test_services_directory import _service
from .web import SignIn, WebClient

DUPONT = hospital_sim.patient("Dupont", "Marie", "1956-03-14", "female")


@pytest.fixture(scope="module")
async def service(hospital: Hospital, requests_db: asyncpg.Pool) -> str:
    """A service that takes consultations and messages."""
    code = f"CARDIO-{uuid.uuid4().hex[:6]}"
    await hospital.publish(contract.SERVICES, _service(code, "Cardiologie", datetime.now(UTC)))
    await eventually(
        lambda: requests_db.fetchval("SELECT code FROM services WHERE code = $1", code), what="the service"
    )
    return code


async def _with_a_patient(
    physicians: Physicians, hospital: Hospital, portal_events: PortalEvents, patient: dict[str, Any]
) -> tuple[Physician, str, str]:
    """A physician who received a document of the patient: (them, their token, the patient's Mes patients id)."""
    doctor = await physicians.create()
    await deliver(portal_events, hospital.episode(patient=patient), doctor.gln, title="Lettre de sortie")
    token = (await physicians.login(doctor)).token
    mine = await physicians.call(documents.LIST_PATIENTS, documents.ListPatients(), token=token)
    [listed] = mine.items
    return doctor, token, listed.id


async def test_a_patient_chosen_among_mes_patients_is_sent_with_the_hospital_s_id(
    physicians: Physicians, hospital: Hospital, portal_events: PortalEvents, service: str
) -> None:
    patient = {**DUPONT, "id": f"P{uuid.uuid4().hex[:10].upper()}"}
    _, token, my_patient = await _with_a_patient(physicians, hospital, portal_events, patient)
    draft = api.Draft(
        kind="consultation",
        service=service,
        domain="adults",
        subject="Avis",
        fields={"reason": "Dyspnée", "question": "Échographie ?"},
        my_patient=my_patient,
    )
    saved = await physicians.call(api.SAVE_DRAFT, draft, token=token)
    assert saved.my_patient == my_patient and saved.patient == contract.Patient(**patient)
    await physicians.call(api.SUBMIT_REQUEST, api.RequestRef(id=saved.id), token=token)
    event = await _published(portal_events, saved.id)
    validate_published(contract.SUBMITTED, event)
    assert event["patient"] == patient  # the hospital's id, as the documents service knows the patient


async def test_a_patient_who_is_not_the_physician_s_is_refused(
    physicians: Physicians, hospital: Hospital, portal_events: PortalEvents, service: str
) -> None:
    _, _, alices_patient = await _with_a_patient(
        physicians, hospital, portal_events, {**DUPONT, "id": uuid.uuid4().hex}
    )
    bob = await physicians.create()
    token = (await physicians.login(bob)).token
    for my_patient in (alices_patient, str(uuid.uuid4()), "not-an-id"):
        draft = api.Draft(kind="consultation", service=service, fields={"reason": "x"}, my_patient=my_patient)
        with pytest.raises(InvalidRequest, match="my_patient"):
            await physicians.call(api.SAVE_DRAFT, draft, token=token)
    mine = await physicians.call(api.LIST_MY_REQUESTS, api.ListMyRequests(), token=token)
    assert mine.items == []
    with pytest.raises(ValueError):  # chosen and typed at once: the contract says one or the other
        api.Draft(
            kind="message",
            service=service,
            my_patient=alices_patient,
            patient=contract.TypedPatient(**{**DUPONT, "id": None}),
        )


async def test_a_message_from_draft_to_sent_without_a_patient(
    physicians: Physicians, portal_events: PortalEvents, service: str
) -> None:
    token = (await physicians.login(await physicians.create())).token
    draft = api.Draft(
        kind="message", service=service, subject="Copie du dossier", fields={"request_type": "record_copy"}
    )
    saved = await physicians.call(api.SAVE_DRAFT, draft, token=token)
    with pytest.raises(InvalidRequest):  # the message's text is still missing
        await physicians.call(api.SUBMIT_REQUEST, api.RequestRef(id=saved.id), token=token)
    fields = {"request_type": "record_copy", "text": "Pourriez-vous m’envoyer la lettre de sortie de mars ?"}
    await physicians.call(api.SAVE_DRAFT, draft.model_copy(update={"id": saved.id, "fields": fields}), token=token)
    sent = await physicians.call(api.SUBMIT_REQUEST, api.RequestRef(id=saved.id), token=token)
    assert sent.status == "submitted" and sent.patient is None
    event = await _published(portal_events, saved.id)
    validate_published(contract.SUBMITTED, event)
    assert event["patient"] is None and event["request"]["kind"] == "message" and event["request"]["fields"] == fields
    wrong = draft.model_copy(update={"fields": {"request_type": "poetry"}})
    with pytest.raises(InvalidRequest):
        await physicians.call(api.SAVE_DRAFT, wrong, token=token)


async def test_the_message_form_offers_the_services_and_says_whom_to_call_otherwise(
    sign_in: SignIn, physicians: Physicians, hospital: Hospital, portal_events: PortalEvents, service: str
) -> None:
    doctor, _, my_patient = await _with_a_patient(
        physicians, hospital, portal_events, {**DUPONT, "id": uuid.uuid4().hex}
    )
    web = await sign_in(doctor)
    page = await web.get("/requests/new/message")
    text = await page.text()
    assert page.status == 200
    assert '<a href="/requests/new/message" aria-current="page">Messagerie</a>' in text
    assert f'<option value="{service}|">Cardiologie</option>' in text  # one list, no groups
    assert "Service absent de la liste ? Contactez le standard de l’hôpital :" in text
    assert '<a href="tel:+41220000000">+41 22 000 00 00</a>' in text
    assert '<a href="mailto:contact@hopital.example.ch">contact@hopital.example.ch</a>' in text
    # namesakes told apart by birth date and the hospital's patient number
    assert f'<option value="{my_patient}">Dupont Marie, 14.03.1956, patient n° ' in text
    assert '<option value="record_copy">Demande de copie de dossier</option>' in text  # from the schema
    assert '<script src="/static/request_form.js" defer></script>' in text

    form = {"service": f"{service}|", "subject": "Documents", "request_type": "documents", "text": "Ci-joint."}
    sent = await web.post_form("/requests/new/message", {**form, "action": "submit"})  # no patient: fine
    assert sent.status == 303
    shown = await (await web.get(sent.headers["Location"])).text()
    assert "Ci-joint." in shown and "Envoi de documents" in shown


async def test_the_form_keeps_the_chosen_patient_and_refuses_another_s(
    sign_in: SignIn, physicians: Physicians, hospital: Hospital, portal_events: PortalEvents, service: str
) -> None:
    doctor, _, my_patient = await _with_a_patient(
        physicians, hospital, portal_events, {**DUPONT, "id": uuid.uuid4().hex}
    )
    _, _, someone_elses = await _with_a_patient(physicians, hospital, portal_events, {**DUPONT, "id": uuid.uuid4().hex})
    web = await sign_in(doctor)
    form = {"service": f"{service}|adults", "subject": "Avis", "reason": "Douleurs thoraciques"}
    refused = await web.post_form("/requests/new/consultation", {**form, "my_patient": someone_elses, "action": "save"})
    text = await refused.text()
    assert refused.status == 400 and "Ce patient n’est pas parmi les vôtres" in text
    assert "Douleurs thoraciques" in text  # nothing typed is lost

    saved = await web.post_form("/requests/new/consultation", {**form, "my_patient": my_patient, "action": "save"})
    assert saved.status == 303
    draft = await (await web.get(saved.headers["Location"])).text()
    assert f'<option value="{my_patient}" selected>Dupont Marie, 14.03.1956, patient n° ' in draft
    patient_page = await (await web.get(f"/patients/{my_patient}")).text()
    assert f'<a href="/requests/new/tumor_board?patient={my_patient}">Colloque</a>' in patient_page
    preselected = await (await web.get(f"/requests/new/tumor_board?patient={my_patient}")).text()
    assert f'<option value="{my_patient}" selected>' in preselected


async def _autosave(web: WebClient, path: str, fields: dict[str, str], form_page: str) -> tuple[int, dict[str, Any]]:
    answer = await web.post_form(path, fields, form_page=form_page)
    return answer.status, json.loads(await answer.text())


async def test_autosave_creates_the_draft_then_updates_it_and_never_sends_it(
    sign_in: SignIn, physicians: Physicians, requests_db: asyncpg.Pool, service: str
) -> None:
    doctor = await physicians.create()
    web = await sign_in(doctor)
    first = {"service": f"{service}|adults", "subject": "Avis", "reason": "Palpitations", "action": "submit"}
    status, saved = await _autosave(web, "/requests/new/consultation/autosave", first, "/requests/new/consultation")
    assert status == 200 and datetime.fromisoformat(saved["saved_at"])
    draft = f"/requests/{saved['id']}"
    status, again = await _autosave(web, f"{draft}/autosave", {**first, "question": "Holter ?"}, draft)
    assert status == 200 and again["id"] == saved["id"]
    row = await requests_db.fetchrow("SELECT status, fields FROM requests WHERE id = $1", uuid.UUID(saved["id"]))
    assert row["status"] == "draft"  # `action: submit` is not the autosave's to do
    assert json.loads(row["fields"]) == {"reason": "Palpitations", "question": "Holter ?"}
    mine = await requests_db.fetchval(
        "SELECT count(*) FROM requests WHERE account_id = $1", uuid.UUID(doctor.account_id)
    )
    assert mine == 1

    status, refused = await _autosave(web, f"{draft}/autosave", {**first, "birth_date": "1964"}, draft)
    assert status == 400 and "birth_date" in refused["problems"]  # nothing saved, the page keeps it
    status, refused = await _autosave(
        web, "/requests/new/consultation/autosave", {"subject": "x"}, "/requests/new/consultation"
    )
    assert status == 400 and "service" in refused["problems"]

    # The birth date as French writes it; a wrong one is its field's error, the rest kept.
    patient = {"family_name": "Muster", "given_name": "Anna", "birth_date": "2.3.1964", "sex": "female"}
    wrong = await web.post_form(draft, {**first, **patient, "birth_date": "02.13.1964", "action": "save"})
    assert wrong.status == 400
    wrong_page = await wrong.text()
    assert '<p class="field-error" id="birth_date-error">Date invalide : écrivez-la JJ.MM.AAAA.</p>' in wrong_page
    assert 'value="02.13.1964" aria-invalid="true"' in wrong_page and 'value="Muster"' in wrong_page
    assert 'id="family_name-error"' not in wrong_page
    saved_draft = await web.post_form(draft, {**first, **patient, "action": "save"})
    assert saved_draft.status == 303
    assert 'value="02.03.1964"' in await (await web.get(draft)).text()  # shown again as French writes it
    sent = await web.post_form(draft, {**first, **patient, "question": "Holter ?"})
    assert sent.status == 303
    status, refused = await _autosave(web, f"{draft}/autosave", first, "/requests/new/consultation")
    assert status == 409  # a sent request is never changed


async def test_autosave_without_its_csrf_token_or_on_another_s_draft_saves_nothing(
    sign_in: SignIn, physicians: Physicians, requests_db: asyncpg.Pool, service: str
) -> None:
    alice, bob = await physicians.create(), await physicians.create()
    alice_web, bob_web = await sign_in(alice), await sign_in(bob)
    fields = {"service": f"{service}|adults", "subject": "Avis", "reason": "Secret d’Alice"}
    status, saved = await _autosave(
        alice_web, "/requests/new/consultation/autosave", fields, "/requests/new/consultation"
    )
    assert status == 200
    draft = f"/requests/{saved['id']}"

    forged = await alice_web.session.post(
        f"{alice_web.base}{draft}/autosave", data={**fields, "reason": "Forgé"}, headers={"Origin": alice_web.base}
    )
    assert forged.status == 403
    stolen = await bob_web.post_form(
        f"{draft}/autosave", {**fields, "reason": "Bob"}, form_page="/requests/new/consultation"
    )
    assert stolen.status == 404 and "Secret" not in await stolen.text()
    row = await requests_db.fetchval("SELECT fields->>'reason' FROM requests WHERE id = $1", uuid.UUID(saved["id"]))
    assert row == "Secret d’Alice"


def test_the_switchboard_s_phone_and_email_are_checked_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the forms show for a service not listed: a malformed value stops the gateway, by name."""
    for name, value in {"NATS_USER": "gateway", "NATS_PASSWORD": "x", "PORTAL_CSRF_SECRET": "s" * 32}.items():
        monkeypatch.setenv(name, value)
    assert (GatewaySettings.from_env().hospital_phone, GatewaySettings.from_env().hospital_email) == ("", "")
    for name, bad in (("PORTAL_HOSPITAL_PHONE", "call us"), ("PORTAL_HOSPITAL_EMAIL", "contact at hospital")):
        monkeypatch.setenv(name, bad)
        with pytest.raises(SettingsError, match=name):
            GatewaySettings.from_env()
        monkeypatch.delenv(name)
    monkeypatch.setenv("PORTAL_HOSPITAL_PHONE", "+41 (0)22 000.00.00")
    monkeypatch.setenv("PORTAL_HOSPITAL_EMAIL", "standard@hopital.example.ch")
    assert GatewaySettings.from_env().hospital_email == "standard@hopital.example.ch"
