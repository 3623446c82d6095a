"""Mes documents and the document page (issue 15): the filters' disclosure, the order received,
"Mark all as read", namesakes told apart, the inline document, the superseded warning, the versions."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime, timedelta

from common.contracts.documents import DocumentName
from deploy import hospital_sim
from gateway.locale_formats import DISPLAY_TIMEZONE
from gateway.views.contents import content_disposition, document_filename

from .portal import Hospital, Physicians, PortalEvents, deliver
from .web import SignIn, WebClient

TITLE_LINK = re.compile(r'<a href="/documents/([A-Za-z0-9-]+)">([^<]*)</a>')


async def _page(web: WebClient, path: str) -> str:
    response = await web.get(path)
    assert response.status == 200, (path, response.status)
    return await response.text()


async def _titles(web: WebClient, path: str) -> list[str]:
    return [html.unescape(title) for _, title in TITLE_LINK.findall(await _page(web, path))]


async def test_the_filters_disclosure_is_open_while_a_filter_other_than_the_search_is_set(
    sign_in: SignIn, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    await deliver(portal_events, hospital.episode(), doctor.gln, title="Labo", category="lab_report")
    web = await sign_in(doctor)

    closed = '<details class="filters__more">'
    assert closed in await _page(web, "/documents")
    assert closed in await _page(web, "/documents?patient=rochat&from=&to=&category=&service=")  # the search only
    one = await _page(web, "/documents?patient=&category=lab_report")
    assert '<details class="filters__more" open>' in one and "<summary>Filtres <span" in one and "(1 actif)" in one
    two = await _page(web, "/documents?category=lab_report&unread=1")
    assert '<details class="filters__more" open>' in two and "(2 actifs)" in two


async def test_the_list_is_sorted_by_date_received_and_shows_the_documents_own_date(
    sign_in: SignIn, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    episode = hospital.episode()
    await deliver(portal_events, episode, doctor.gln, title="Recent, received first")
    old = datetime.now(UTC) - timedelta(days=800)
    await deliver(portal_events, episode, title="Old, received last", created_at=old.isoformat())
    web = await sign_in(doctor)

    page = await _page(web, "/documents")
    assert await _titles(web, "/documents") == ["Old, received last", "Recent, received first"]
    assert '<th scope="col" aria-sort="descending">Reçu le</th>' in page
    old_day = old.astimezone(DISPLAY_TIMEZONE).strftime("%d.%m.%Y")
    assert f'<span class="document-date">du {old_day}</span>' in page


async def test_mark_all_as_read_marks_only_the_physicians_own_documents(
    sign_in: SignIn, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor, colleague = await physicians.create(), await physicians.create()
    await deliver(portal_events, hospital.episode(), doctor.gln, title="Mine 1")
    await deliver(portal_events, hospital.episode(), doctor.gln, title="Mine 2")
    await deliver(portal_events, hospital.episode(), colleague.gln, title="The colleague's")
    web, other = await sign_in(doctor), await sign_in(colleague)

    page = await _page(web, "/documents?unread=1")
    assert "Tout marquer comme lu" in page and "tous vos documents non lus, pas seulement ceux affichés" in page
    forged = await web.session.post(
        f"{web.base}/documents/read", data={"next": "/documents"}, headers={"Origin": web.base}, allow_redirects=False
    )
    assert forged.status == 403  # no CSRF token
    assert await _titles(web, "/documents?unread=1") == ["Mine 2", "Mine 1"]

    done = await web.post_form("/documents/read", {"next": "/documents?unread=1"}, form_page="/documents")
    assert done.status == 303 and done.headers["Location"] == "/documents?unread=1"
    assert await _titles(web, "/documents?unread=1") == []
    after = await _page(web, "/documents")
    assert "Tout marquer comme lu" not in after  # nothing unread left: no such form
    assert "documents non lus)" not in after and "document non lu)" not in after  # nor a counter in the nav
    assert await _titles(other, "/documents?unread=1") == ["The colleague's"]  # the colleague's, untouched


async def test_namesakes_are_told_apart_by_birth_date_and_hospital_id(
    sign_in: SignIn, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    first_id, second_id = (f"P{uuid.uuid4().hex[:8].upper()}" for _ in range(2))
    first = hospital.episode(patient=hospital_sim.patient("Dupont", "Jean", "1950-01-02", "male", first_id))
    second = hospital.episode(patient=hospital_sim.patient("Dupont", "Jean", "1961-07-08", "male", second_id))
    await deliver(portal_events, first, doctor.gln, title="Du premier")
    await deliver(portal_events, second, doctor.gln, title="Du second")
    web = await sign_in(doctor)

    page = re.sub(r"</?span[^>]*>", "", await _page(web, "/documents"))  # the text, as read
    assert f"né(e) le 02.01.1950 · patient n° {first_id}" in page
    assert f"né(e) le 08.07.1961 · patient n° {second_id}" in page
    patients = await _page(web, "/patients")  # Mes patients lists them apart too
    assert f"patient n° {first_id}" in patients and f"patient n° {second_id}" in patients


async def test_the_document_page_shows_the_document_beside_its_details_and_versions_only_when_several(
    sign_in: SignIn, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor, episode = await physicians.create(), hospital.episode()
    sent = await deliver(portal_events, episode, doctor.gln, title="Lettre <de> sortie")
    web = await sign_in(doctor)
    [(first, _)] = TITLE_LINK.findall(await _page(web, "/documents"))

    page = await _page(web, f"/documents/{first}")
    assert (
        f'<iframe class="document-preview" loading="lazy" src="/documents/{first}/view" '
        'title="Lettre &lt;de&gt; sortie (le document)"></iframe>'
    ) in page
    assert (
        f'<a class="button-primary" href="/documents/{first}/tab" target="_blank">Ouvrir dans un nouvel onglet</a>'
        in page
    )
    assert "Versions reçues" not in page and "<table" not in page  # one version: no versions table
    assert 'role="alert"' not in page

    tab = await _page(web, f"/documents/{first}/tab")
    assert "<title>Lettre &lt;de&gt; sortie – Portail" in tab
    assert f'<iframe class="document-tab__frame" src="/documents/{first}/view"' in tab

    await deliver(portal_events, episode, document_id=sent["document"]["id"], version=2, title="Lettre <de> sortie")
    [(current, _)] = TITLE_LINK.findall(await _page(web, "/documents"))
    assert "Versions reçues" in await _page(web, f"/documents/{current}")
    older = await _page(web, f"/documents/{first}")
    assert '<div class="notice notice-superseded" role="alert">' in older
    assert (
        f'Cette version est remplacée.</strong> Une version corrigée de ce document a été reçue depuis. <a href="/documents/{current}">'
        in older
    )

    other = await sign_in(await physicians.create())
    assert (await other.get(f"/documents/{first}/tab")).status == 404


def test_a_download_name_is_a_name_never_a_path() -> None:
    named = DocumentName(
        created_at=datetime(2026, 1, 29, 23, 30, tzinfo=UTC),  # the 30th in Zurich
        category="discharge_letter",
        patient="D/UPONT\\ Jean",
        extension=".pdf",
    )
    assert document_filename(named, "Rapport de sortie") == "2026-01-30 Rapport de sortie D-UPONT- Jean.pdf"
    header = content_disposition("attachment", document_filename(named, "Rapport de sortie"))
    assert header.startswith('attachment; filename="2026-01-30 Rapport de sortie D-UPONT- Jean.pdf"; filename*=')
