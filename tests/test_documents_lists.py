"""Mes patients and Mes documents as the documents service answers them: filters, search, counts, read state."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest

from common.contracts import documents
from common.contracts.base import Empty
from common.errors import NotFound
from deploy import hospital_sim, seed_documents
from services.documents import queries

from .portal import Hospital, Physician, Physicians, PortalEvents, deliver


async def test_filters_and_search_ignoring_case_and_accents(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    muller = hospital.episode(patient=hospital_sim.patient("Müller", "Jean-François", "1948-11-02", "male"))
    rochat = hospital.episode(patient=hospital_sim.patient("Rochat", "Élodie", "1979-07-23", "female"))
    await deliver(portal_events, muller, doctor.gln, title="Labo", category="lab_report", service="Labo")
    await deliver(portal_events, muller, doctor.gln, title="Sortie", service="Cardiologie")
    await deliver(portal_events, rochat, doctor.gln, title="Imagerie", category="imaging_report", service="Radiologie")
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
    today = datetime.now(UTC).date()
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
    await deliver(portal_events, muller, doctor.gln, title="M1")
    await deliver(portal_events, muller, doctor.gln, title="M2")
    await deliver(portal_events, rochat, doctor.gln, title="R1")
    session = await physicians.login(doctor)

    async def counters() -> documents.UnreadCounters:
        return await physicians.call(documents.COUNT_UNREAD, Empty(), token=session.token)

    assert await counters() == documents.UnreadCounters(documents=3, patients=2)
    items = {item.title: item for item in (await physicians.documents(session.token)).items}
    await physicians.content(session.token, items["R1"].id)  # opening marks it read
    await physicians.call(
        documents.MARK_DOCUMENT, documents.MarkDocument(id=items["M1"].id, read=True), token=session.token
    )
    assert await counters() == documents.UnreadCounters(documents=1, patients=1)
    assert [i.title for i in (await physicians.documents(session.token, unread_only=True)).items] == ["M2"]
    await physicians.call(
        documents.MARK_DOCUMENT, documents.MarkDocument(id=items["R1"].id, read=False), token=session.token
    )
    assert await counters() == documents.UnreadCounters(documents=2, patients=2)

    patients = await physicians.call(documents.LIST_PATIENTS, documents.ListPatients(), token=session.token)
    assert [(p.name, p.documents, p.unread) for p in patients.items] == [("Rochat Élodie", 1, 1), ("Müller Jean", 2, 1)]
    assert patients.items[1].birth_date == date(1948, 11, 2)
    searched = await physicians.call(
        documents.LIST_PATIENTS, documents.ListPatients(name="MULLER"), token=session.token
    )
    assert [p.name for p in searched.items] == ["Müller Jean"]
    muller_id = searched.items[0].id
    assert sorted(i.title for i in (await physicians.documents(session.token, patient=muller_id)).items) == ["M1", "M2"]


async def test_tallies_agree_with_the_deliveries_they_count(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians, documents_db: asyncpg.Pool
) -> None:
    """Totals and counters come from per-patient tallies kept by a trigger: after versions, openings
    and marks they still equal a count of the deliveries themselves."""
    doctor = await physicians.create()
    muller = hospital.episode(patient=hospital_sim.patient("Müller", "Jean", "1948-11-02", "male"))
    first = await deliver(portal_events, muller, doctor.gln, title="Lettre")
    await deliver(
        portal_events,
        muller,
        doctor.gln,
        title="Lettre corrigée",
        document_id=first["document"]["id"],
        version=2,
    )
    await deliver(portal_events, muller, doctor.gln, title="Labo")
    await deliver(portal_events, hospital.episode(), doctor.gln, title="Autre patient")
    session = await physicians.login(doctor)
    listed = await physicians.documents(session.token, with_counters=True)
    assert (listed.total, listed.counters) == (3, documents.UnreadCounters(documents=3, patients=2))
    corrected = next(item for item in listed.items if item.corrected)
    detail = await physicians.call(documents.GET_DOCUMENT, documents.GetDocument(id=corrected.id), token=session.token)
    [earlier] = [version for version in detail.versions if not version.current]
    await physicians.content(session.token, earlier.id)  # an earlier version counts for nothing
    await physicians.content(session.token, corrected.id)
    await physicians.call(
        documents.MARK_DOCUMENT, documents.MarkDocument(id=corrected.id, read=False), token=session.token
    )
    [other] = [item for item in listed.items if item.title == "Autre patient"]
    await physicians.call(documents.MARK_DOCUMENT, documents.MarkDocument(id=other.id, read=True), token=session.token)

    counted = await documents_db.fetch(
        "SELECT patient_id, count(*) AS documents, count(*) FILTER (WHERE unread) AS unread, max(created_at) AS last "
        "FROM deliveries WHERE account_id = $1 AND current GROUP BY patient_id ORDER BY patient_id",
        uuid.UUID(doctor.account_id),
    )
    tallied = await documents_db.fetch(
        "SELECT patient_id, documents, unread, last_document_at AS last FROM patient_tallies "
        "WHERE account_id = $1 ORDER BY patient_id",
        uuid.UUID(doctor.account_id),
    )
    assert [dict(row) for row in tallied] == [dict(row) for row in counted]
    patients = await physicians.call(documents.LIST_PATIENTS, documents.ListPatients(), token=session.token)
    assert sorted((p.name, p.documents, p.unread) for p in patients.items) == [
        ("Müller Jean", 2, 2),
        ("Rochat Élodie", 1, 0),
    ]


async def test_anchored_pages_are_the_pages_an_offset_finds(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians, documents_db: asyncpg.Pool
) -> None:
    """A deep page starts from the anchor before it; the anchors hold while the list's version does."""
    doctor = await physicians.create()
    episode = hospital.episode()
    for number in range(7):
        await deliver(portal_events, episode, doctor.gln, title=f"D{number}", service=f"S{number % 2}")
    newest_first = ["D6", "D5", "D4", "D3", "D2", "D1", "D0"]

    async def page(
        conn: asyncpg.Connection, number: int, anchors: queries.Anchors | None, **query: object
    ) -> list[str]:
        wanted = documents.ListDocuments(page=number, per_page=2, **query)
        listing = await queries.document_listing(conn, doctor.account_id, wanted, anchors)
        return [row["title"] for row in listing.items]

    async with documents_db.acquire() as conn:
        every_list = documents.ListDocuments()
        anchors = await queries.list_anchors(conn, doctor.account_id, every_list, every=3)
        assert len(anchors.keys) == 3  # rows 0, 3 and 6
        for number in range(1, 6):
            expected = newest_first[(number - 1) * 2 : number * 2]
            assert await page(conn, number, anchors) == await page(conn, number, None) == expected
        s1 = await queries.list_anchors(conn, doctor.account_id, documents.ListDocuments(service="S1"), every=2)
        assert await page(conn, 2, s1, service="S1") == ["D1"]  # D5, D3 | D1
        listing = await queries.document_listing(conn, doctor.account_id, every_list, anchors)
        assert (listing.version, listing.total) == (anchors.version, 7)

    await deliver(portal_events, episode, doctor.gln, title="D7")
    async with documents_db.acquire() as conn:
        listing = await queries.document_listing(conn, doctor.account_id, every_list, anchors)
        assert listing.version != anchors.version  # the service then walks the list instead
    session = await physicians.login(doctor)
    titles = [[i.title for i in (await physicians.documents(session.token, per_page=2, page=n)).items] for n in (3, 4)]
    assert titles == [["D3", "D2"], ["D1", "D0"]]


async def test_deep_pages_through_the_service_match_the_list(
    physicians: Physicians, documents_db: asyncpg.Pool
) -> None:
    """Past a few hundred rows the service reads the list's anchors once, then starts deep pages
    from them: every page is still the list's own slice, before and after the list changes."""
    doctor = await physicians.create()
    await seed_documents.seed(documents_db, [doctor], documents=700, patients=7)
    try:
        await _deep_pages_match(physicians, documents_db, doctor)
    finally:  # the seeded versions have no real content key: other tests (key rotation) must not see them
        await documents_db.execute("DELETE FROM deliveries WHERE account_id = $1", uuid.UUID(doctor.account_id))
        await documents_db.execute("DELETE FROM documents WHERE document_id LIKE 'DOC-B-%'")


async def _deep_pages_match(physicians: Physicians, documents_db: asyncpg.Pool, doctor: Physician) -> None:
    session = await physicians.login(doctor)

    async def expected(number: int) -> list[str]:
        rows = await documents_db.fetch(
            "SELECT id::text FROM deliveries WHERE account_id = $1 AND current "
            "ORDER BY delivered_at DESC, created_at DESC, id DESC LIMIT 25 OFFSET $2",
            uuid.UUID(doctor.account_id),
            (number - 1) * 25,
        )
        return [row["id"] for row in rows]

    async def listed(number: int) -> list[str]:
        return [item.id for item in (await physicians.documents(session.token, page=number)).items]

    for number in (25, 27, 21, 28):  # the first one reads the anchors, the others start from them
        assert await listed(number) == await expected(number)
    newest = await documents_db.fetchval(
        "SELECT id FROM deliveries WHERE account_id = $1 ORDER BY delivered_at DESC LIMIT 1",
        uuid.UUID(doctor.account_id),
    )
    await documents_db.execute("UPDATE deliveries SET current = false WHERE id = $1", newest)  # the list changes
    assert await listed(27) == await expected(27)


async def test_the_services_filter_follows_the_list(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    """The service remembers a physician's services at the list's version: a document from a
    new service changes the version, so the filter offers it at once; a read mark does not."""
    doctor = await physicians.create()
    await deliver(portal_events, hospital.episode(), doctor.gln, service="Cardiologie")
    session = await physicians.login(doctor)
    assert (await physicians.documents(session.token)).services == ["Cardiologie"]
    listed = await physicians.documents(session.token)  # from what the service remembers
    assert listed.services == ["Cardiologie"]
    await physicians.call(
        documents.MARK_DOCUMENT, documents.MarkDocument(id=listed.items[0].id, read=True), token=session.token
    )
    assert (await physicians.documents(session.token)).services == ["Cardiologie"]
    await deliver(portal_events, hospital.episode(), doctor.gln, service="Radiologie")
    assert (await physicians.documents(session.token)).services == ["Cardiologie", "Radiologie"]


async def test_profile_scopes_restrict_lists(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    two_years_ago = (datetime.now(UTC) - timedelta(days=730)).isoformat()
    await deliver(portal_events, hospital.episode(), doctor.gln, title="Ancien", created_at=two_years_ago)
    await deliver(portal_events, hospital.episode(), doctor.gln, title="Récent")
    session = await physicians.login(doctor)
    [old] = [item for item in (await physicians.documents(session.token)).items if item.title == "Ancien"]
    await physicians.call(documents.MARK_DOCUMENT, documents.MarkDocument(id=old.id, read=True), token=session.token)
    assert [i.title for i in (await physicians.documents(session.token, scope="last_12_months")).items] == ["Récent"]
    assert [i.title for i in (await physicians.documents(session.token, scope="unread")).items] == ["Récent"]
    recent = await physicians.call(
        documents.LIST_PATIENTS, documents.ListPatients(scope="last_12_months"), token=session.token
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
    page = await physicians.call(documents.LIST_UNDELIVERED, query, token=admin_session.token)
    item = next(i for i in page.items if i.document_id == sent["document"]["id"])
    assert (item.reason, item.title, item.service) == ("not_final", "Bilan", "Pédiatrie")
    assert "Pédiatrie" in page.services
    with pytest.raises(NotFound):
        await physicians.call(documents.LIST_UNDELIVERED, query, token=doctor_session.token)


async def test_a_patients_new_name_reaches_every_list(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    before = hospital_sim.patient("Martin", "Anne", "1960-05-05", "female")
    episode = hospital.episode(patient=before)
    await deliver(portal_events, episode, doctor.gln, title="Avant")
    episode.patient = {**before, "family_name": "Martin-Favre"}  # the hospital corrects the name
    await deliver(portal_events, episode, doctor.gln, title="Après")
    session = await physicians.login(doctor)
    names = {item.patient_name for item in (await physicians.documents(session.token)).items}
    assert names == {"Martin-Favre Anne"}
