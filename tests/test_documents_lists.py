"""Mes patients and Mes documents as the documents service answers them: filters, search, counts, read state."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import asyncpg
import pytest

from common.contracts import documents
from common.errors import NotFound
from deploy import hospital_sim

from .portal import Hospital, Physicians, PortalEvents


async def _deliver(hospital: Hospital, portal_events: PortalEvents, gln: str, episode=None, **document) -> dict:
    episode = episode or hospital.episode()
    await episode.designate(gln)
    sent = await episode.document(**document)
    await portal_events.wait_for("portal.documents.delivered", document_id=sent["document"]["id"])
    return sent


async def test_filters_and_search_ignoring_case_and_accents(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    muller = hospital.episode(patient=hospital_sim.patient("Müller", "Jean-François", "1948-11-02", "male"))
    rochat = hospital.episode(patient=hospital_sim.patient("Rochat", "Élodie", "1979-07-23", "female"))
    await _deliver(hospital, portal_events, doctor.gln, muller, title="Labo", category="lab_report", service="Labo")
    await _deliver(hospital, portal_events, doctor.gln, muller, title="Sortie", service="Cardiologie")
    await _deliver(hospital, portal_events, doctor.gln, rochat, title="Imagerie", category="imaging_report", service="Radiologie")
    session = await physicians.login(doctor)

    async def titles(**query: object) -> list[str]:
        return [item.title for item in (await physicians.documents(session.token, **query)).items]

    assert await titles() == ["Imagerie", "Sortie", "Labo"]
    assert await titles(patient_name="muller") == ["Sortie", "Labo"]
    assert await titles(patient_name="JEAN-FRANCOIS") == ["Sortie", "Labo"]
    assert await titles(patient_name="élodie") == ["Imagerie"]
    assert await titles(patient_name="%") == []  # wildcards are taken literally
    assert await titles(category="lab_report") == ["Labo"]
    assert await titles(service="Radiologie") == ["Imagerie"]
    today = datetime.now(timezone.utc).date()
    assert len(await titles(created_from=today - timedelta(days=1), created_to=today)) == 3
    assert await titles(created_to=today - timedelta(days=2)) == []
    page = await physicians.documents(session.token, per_page=2, page=2)
    assert ([i.title for i in page.items], page.total) == (["Labo"], 3)
    assert page.services == ["Cardiologie", "Labo", "Radiologie"]


async def test_read_state_counters_and_mes_patients(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    muller = hospital.episode(patient=hospital_sim.patient("Müller", "Jean", "1948-11-02", "male"))
    rochat = hospital.episode(patient=hospital_sim.patient("Rochat", "Élodie", "1979-07-23", "female"))
    await _deliver(hospital, portal_events, doctor.gln, muller, title="M1")
    await _deliver(hospital, portal_events, doctor.gln, muller, title="M2")
    await _deliver(hospital, portal_events, doctor.gln, rochat, title="R1")
    session = await physicians.login(doctor)

    async def counters() -> documents.UnreadCounters:
        return await physicians.call(documents.COUNTERS, documents.Empty(), documents.UnreadCounters, session.token)

    assert await counters() == documents.UnreadCounters(documents=3, patients=2)
    items = {item.title: item for item in (await physicians.documents(session.token)).items}
    await physicians.content(session.token, items["R1"].id)  # opening marks it read
    await physicians.call(documents.MARK, documents.MarkDocument(id=items["M1"].id, read=True), documents.Empty, session.token)
    assert await counters() == documents.UnreadCounters(documents=1, patients=1)
    assert [i.title for i in (await physicians.documents(session.token, unread_only=True)).items] == ["M2"]
    await physicians.call(documents.MARK, documents.MarkDocument(id=items["R1"].id, read=False), documents.Empty, session.token)
    assert await counters() == documents.UnreadCounters(documents=2, patients=2)

    patients = await physicians.call(documents.PATIENTS, documents.ListPatients(), documents.PatientPage, session.token)
    assert [(p.name, p.documents, p.unread) for p in patients.items] == [("Rochat Élodie", 1, 1), ("Müller Jean", 2, 1)]
    assert patients.items[1].birth_date == date(1948, 11, 2)
    searched = await physicians.call(
        documents.PATIENTS, documents.ListPatients(name="MULLER"), documents.PatientPage, session.token
    )
    assert [p.name for p in searched.items] == ["Müller Jean"]
    muller_id = searched.items[0].id
    assert sorted(i.title for i in (await physicians.documents(session.token, patient=muller_id)).items) == ["M1", "M2"]


async def test_profile_scopes_restrict_lists(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians, documents_db: asyncpg.Pool
) -> None:
    doctor = await physicians.create()
    old = await _deliver(hospital, portal_events, doctor.gln, title="Ancien")
    await _deliver(hospital, portal_events, doctor.gln, title="Récent")
    await documents_db.execute(  # the first one is two years old
        "UPDATE deliveries SET created_at = now() - interval '2 years', unread = false WHERE document_id = $1",
        old["document"]["id"],
    )
    session = await physicians.login(doctor)
    assert [i.title for i in (await physicians.documents(session.token, scope="last_12_months")).items] == ["Récent"]
    assert [i.title for i in (await physicians.documents(session.token, scope="unread")).items] == ["Récent"]
    recent = await physicians.call(
        documents.PATIENTS, documents.ListPatients(scope="recent"), documents.PatientPage, session.token
    )
    assert recent.total == 1


async def test_manual_sending_records_the_patients_authorization(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians, documents_db: asyncpg.Pool
) -> None:
    doctor = await physicians.create()
    manual = {"recipient": {"gln": doctor.gln}, "sent_by": "Dr B. Secrétan", "patient_authorization": "oral, 12.11"}
    sent = await hospital.episode().document(manual=manual)
    await portal_events.wait_for("portal.documents.delivered", document_id=sent["document"]["id"])
    row = await documents_db.fetchrow(
        "SELECT manual_sent_by, patient_authorization FROM deliveries WHERE document_id = $1", sent["document"]["id"]
    )
    assert (row["manual_sent_by"], row["patient_authorization"]) == ("Dr B. Secrétan", "oral, 12.11")


async def test_manual_sending_to_an_account_not_activated_is_refused(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create(status="pending")
    manual = {"recipient": {"gln": doctor.gln}, "sent_by": "Dr B.", "patient_authorization": "écrite"}
    sent = await hospital.episode().document(manual=manual)
    undelivered = await portal_events.wait_for("portal.documents.undelivered", document_id=sent["document"]["id"])
    assert undelivered["reason"] == "physician_not_activated"


async def test_undelivered_list_is_for_administrators_only(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    sent = await hospital.episode().document(status="preliminary", service="Pédiatrie", title="Bilan")
    await portal_events.wait_for("portal.documents.undelivered", document_id=sent["document"]["id"])
    admin, doctor = await physicians.create(role="admin"), await physicians.create()
    admin_session, doctor_session = await physicians.login(admin), await physicians.login(doctor)
    query = documents.ListUndelivered(reason="not_final", service="Pédiatrie")
    page = await physicians.call(documents.UNDELIVERED, query, documents.UndeliveredPage, admin_session.token)
    item = next(i for i in page.items if i.document_id == sent["document"]["id"])
    assert (item.reason, item.title, item.service) == ("not_final", "Bilan", "Pédiatrie")
    assert "Pédiatrie" in page.services
    with pytest.raises(NotFound):
        await physicians.call(documents.UNDELIVERED, query, documents.UndeliveredPage, doctor_session.token)


async def test_a_patients_new_name_reaches_every_list(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    before = hospital_sim.patient("Martin", "Anne", "1960-05-05", "female")
    episode = hospital.episode(patient=before)
    await _deliver(hospital, portal_events, doctor.gln, episode, title="Avant")
    episode.patient = {**before, "family_name": "Martin-Favre"}  # the hospital corrects the name
    await _deliver(hospital, portal_events, doctor.gln, episode, title="Après")
    session = await physicians.login(doctor)
    names = {item.patient_name for item in (await physicians.documents(session.token)).items}
    assert names == {"Martin-Favre Anne"}
