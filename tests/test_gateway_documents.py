"""Mes documents, Mes patients, contents, read marks, live events and the undelivered list, over HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import html
import os
import re
import urllib.parse
import uuid
from datetime import datetime

import aiohttp

from deploy import hospital_sim
from deploy.stack import Stack
from gateway.locale_formats import DISPLAY_TIMEZONE

from .portal import Hospital, Physicians, PortalEvents, app_code, deliver, eventually
from .web import SignIn, WebClient

TITLE_LINK = re.compile(r'<a href="/documents/([A-Za-z0-9-]+)">([^<]*)</a>')


async def _titles(web: WebClient, path: str) -> list[str]:
    page = await web.get(path)
    assert page.status == 200, (path, page.status)
    return [html.unescape(title) for _, title in TITLE_LINK.findall(await page.text())]


async def _delivery_ids(web: WebClient, path: str = "/documents") -> dict[str, str]:
    """Title -> the id the list links to."""
    page = await web.get(path)
    return {html.unescape(title): delivery for delivery, title in TITLE_LINK.findall(await page.text())}


async def test_mes_documents_filters_by_category_service_unread_period_and_patient_name(
    sign_in: SignIn, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    muller = hospital.episode(patient=hospital_sim.patient("Müller", "Jean-François", "1948-11-02", "male"))
    rochat = hospital.episode(patient=hospital_sim.patient("Rochat", "Élodie", "1979-07-23", "female"))
    await muller.designate(doctor.gln)
    await rochat.designate(doctor.gln)
    await deliver(portal_events, muller, title="Labo M", category="lab_report", service="Laboratoire")
    await deliver(portal_events, muller, title="Sortie M", service="Cardiologie")
    await deliver(portal_events, rochat, title="Imagerie R", category="imaging_report", service="Radiologie")
    web = await sign_in(doctor)

    assert await _titles(web, "/documents") == ["Imagerie R", "Sortie M", "Labo M"]
    assert await _titles(web, "/documents?category=lab_report") == ["Labo M"]
    assert await _titles(web, "/documents?service=Radiologie") == ["Imagerie R"]
    assert await _titles(web, "/documents?patient=MULLER") == ["Sortie M", "Labo M"]
    assert await _titles(web, "/documents?patient=elodie") == ["Imagerie R"]
    assert await _titles(web, "/documents?from=2000-01-01&to=2000-12-31") == []
    assert await _titles(web, "/documents?from=01.01.2000") == ["Imagerie R", "Sortie M", "Labo M"]
    # every field of the GET form, empty ones included, as a browser sends them
    empty_form = "/documents?patient=&from=&to=&category=&service="
    assert await _titles(web, empty_form) == ["Imagerie R", "Sortie M", "Labo M"]

    ids = await _delivery_ids(web)
    assert (await web.get(f"/documents/{ids['Sortie M']}/download")).status == 200  # opening marks it read
    assert await _titles(web, "/documents?unread=1") == ["Imagerie R", "Labo M"]

    page = await (await web.get("/documents?category=lab_report")).text()
    assert '<a href="/documents">Réinitialiser les filtres</a>' in page
    assert '<option value="lab_report" selected>Résultats de laboratoire</option>' in page
    assert '<option value="Radiologie">Radiologie</option>' in page  # the services the physician has documents from
    assert (await web.get("/documents?category=poetry")).status == 400
    wrong = await web.get("/documents?from=yesterday&category=lab_report&to=2.1.2100")
    assert wrong.status == 400  # a field error: the page says how to write the date, keeps the rest
    wrong_page = await wrong.text()
    assert '<p class="field-error" id="filter-from-error">Date invalide : écrivez-la JJ.MM.AAAA.</p>' in wrong_page
    assert 'value="yesterday" aria-invalid="true"' in wrong_page and 'value="02.01.2100"' in wrong_page
    assert '<option value="lab_report" selected>' in wrong_page


async def test_pagination_keeps_the_filters(
    sign_in: SignIn, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    episode = hospital.episode()
    await episode.designate(doctor.gln)
    sent = [episode.document(title=f"Labo {number:02d}", category="lab_report") for number in range(26)]
    sent.append(episode.document(title="Sortie", category="discharge_letter"))
    ids = [message["document"]["id"] for message in await asyncio.gather(*sent)]
    for document_id in ids:
        await portal_events.wait_for("portal.documents.delivered", document_id=document_id, timeout=30)
    web = await sign_in(doctor)

    filters = "patient=%C3%A9lodie&category=lab_report&unread=1"  # the patient is Rochat Élodie
    text = await (await web.get(f"/documents?{filters}")).text()
    assert len(TITLE_LINK.findall(text)) == 25
    assert "26 documents" in text
    assert f'href="/documents?{filters.replace("&", "&amp;")}&amp;page=2" rel="next"' in text
    second = await _titles(web, f"/documents?{filters}&page=2")
    assert len(second) == 1 and second[0].startswith("Labo")
    assert (
        f'href="/documents?{filters.replace("&", "&amp;")}&amp;page=1" rel="prev"'
        in await (await web.get(f"/documents?{filters}&page=2")).text()
    )
    assert (await web.get(f"/documents?{filters}&page=3")).status == 404
    assert len(await _titles(web, "/documents?page=2")) == 2  # without the filters, 27 documents


async def test_mes_patients_lists_each_patient_and_opens_their_documents(
    sign_in: SignIn, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    dupont = hospital.episode(patient=hospital_sim.patient("Dupont", "Marie", "1956-03-14", "female"))
    nguyen = hospital.episode(patient=hospital_sim.patient("Nguyen", "Thierry", "1990-01-30", "male"))
    await dupont.designate(doctor.gln)
    await nguyen.designate(doctor.gln)
    await deliver(portal_events, dupont, title="D1")
    await deliver(portal_events, dupont, title="D2")
    await deliver(portal_events, nguyen, title="N1")
    web = await sign_in(doctor)

    page = await (await web.get("/patients")).text()
    patients = re.findall(r'<a href="/patients/([A-Za-z0-9-]+)">([^<]*)</a>', page)
    assert [name for _, name in patients] == ["Nguyen Thierry", "Dupont Marie"]
    assert "14.03.1956" in page
    searched = await (await web.get("/patients?name=DUPONT")).text()
    assert [name for _, name in re.findall(r'<a href="/patients/([^"]+)">([^<]*)</a>', searched)] == ["Dupont Marie"]
    dupont_id = patients[1][0]
    assert await _titles(web, f"/patients/{dupont_id}") == ["D2", "D1"]
    # the navigation counts unread documents and patients with unread documents
    assert '<span aria-hidden="true"> (3)</span><span class="visually-hidden"> (3 documents non lus)</span>' in page
    assert '<span class="visually-hidden"> (2 patients avec des documents non lus)</span>' in page
    assert (await web.get("/patients/not-a-patient-of-mine")).status == 404


async def test_mark_read_and_unread_are_csrf_forms_that_go_back_to_a_local_page(
    sign_in: SignIn, stack: Stack, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    episode = hospital.episode()
    await deliver(portal_events, episode, doctor.gln, title="A lire")
    web = await sign_in(doctor)
    [delivery] = (await _delivery_ids(web)).values()
    document_page = f"/documents/{delivery}"
    assert "Marquer comme lu" in await (await web.get(document_page)).text()

    forged = await web.session.post(
        f"{web.base}{document_page}/read",
        data={"next": "/documents"},
        headers={"Origin": web.base},
        allow_redirects=False,
    )
    assert forged.status == 403

    done = await web.post_form(f"{document_page}/read", {"next": "/documents?unread=1"}, form_page=document_page)
    assert done.status == 303 and done.headers["Location"] == "/documents?unread=1"
    assert "Marquer comme non lu" in await (await web.get(document_page)).text()
    assert await _titles(web, "/documents?unread=1") == []

    elsewhere = await web.post_form(f"{document_page}/unread", {"next": "//evil.example/"}, form_page=document_page)
    assert elsewhere.status == 303 and elsewhere.headers["Location"] == document_page
    assert await _titles(web, "/documents?unread=1") == ["A lire"]

    other = await sign_in(await physicians.create())
    assert (await other.post_form(f"{document_page}/read", {}, form_page="/documents")).status == 404


async def test_document_page_lists_every_version_and_lists_show_the_corrected_one(
    sign_in: SignIn, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    episode = hospital.episode()
    await episode.designate(doctor.gln)
    document_id = f"DOC-{uuid.uuid4().hex[:12]}"
    await deliver(portal_events, episode, document_id=document_id, title="Rapport")
    await deliver(portal_events, episode, document_id=document_id, version=2, title="Rapport")
    web = await sign_in(doctor)

    listing = await (await web.get("/documents")).text()
    assert TITLE_LINK.findall(listing) and len(TITLE_LINK.findall(listing)) == 1  # the current version only
    assert "corrigé" in listing
    [(current, _)] = TITLE_LINK.findall(listing)
    page = await (await web.get(f"/documents/{current}")).text()
    versions = re.findall(r'href="/documents/([A-Za-z0-9-]+)/view"', page)
    assert len(set(versions)) == 2 and versions[0] == current  # the page's own button, then the current version first
    older = next(version for version in versions if version != current)
    assert "Version 2" in page and "Version 1" in page
    older_page = await (await web.get(f"/documents/{older}")).text()
    assert "Une version corrigée de ce document a été reçue depuis." in older_page
    assert (await web.get(f"/documents/{older}/view")).status == 200


async def test_view_and_download_stream_the_content_with_safe_headers(
    sign_in: SignIn, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    # 2 MiB and a bit: nine chunks, the last one short; too big to travel inline, so in the Object Store
    data = b"%PDF-1.7\n" + os.urandom(2 * 1024 * 1024 + 1000)
    name = f"scan-{uuid.uuid4().hex}.pdf"
    await (await hospital.js.object_store("dpi-documents")).put(name, data)
    doctor = await physicians.create()
    episode = hospital.episode()
    await episode.designate(doctor.gln)
    content = {"media_type": "application/pdf", "sha256": hashlib.sha256(data).hexdigest(), "object": name}
    await deliver(portal_events, episode, content=data, object_content=content, category="imaging_report")
    web = await sign_in(doctor)
    [delivery] = (await _delivery_ids(web)).values()
    today = datetime.now(DISPLAY_TIMEZONE).date().isoformat()  # the hospital's date of the document

    for disposition, kind in (("view", "inline"), ("download", "attachment")):
        response = await web.session.get(f"{web.base}/documents/{delivery}/{disposition}", allow_redirects=False)
        assert response.status == 200
        headers = response.headers
        assert headers["Content-Type"] == "application/pdf"
        assert headers["Content-Length"] == str(len(data))
        assert "sandbox" in [directive.strip() for directive in headers["Content-Security-Policy"].split(";")]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cache-Control"] == "no-store"
        # A French name: the document's date, its category in the account's language, the patient.
        name = f"{today} Compte-rendu d’imagerie ROCHAT Élodie.pdf"
        assert headers["Content-Disposition"] == (
            f'{kind}; filename="{today} Compte-rendu dimagerie ROCHAT Elodie.pdf"; '
            f"filename*=UTF-8''{urllib.parse.quote(name, safe='')}"
        )
        # Only the view may be framed, and by the portal's own pages (the document's page shows it).
        framed = disposition == "view"
        assert headers["X-Frame-Options"] == ("SAMEORIGIN" if framed else "DENY")
        assert ("frame-ancestors 'self'" if framed else "frame-ancestors 'none'") in headers["Content-Security-Policy"]
        received = hashlib.sha256()
        async for piece in response.content.iter_chunked(64 * 1024):
            received.update(piece)
        assert received.hexdigest() == hashlib.sha256(data).hexdigest()


async def test_contents_of_a_missing_document_are_the_usual_404_page(sign_in: SignIn, physicians: Physicians) -> None:
    web = await sign_in(await physicians.create())
    for path in ("/view", "/download", ""):
        response = await web.get(f"/documents/00000000-0000-4000-8000-000000000000{path}")
        assert response.status == 404 and response.content_type == "text/html"


async def test_login_lands_on_each_roles_page(stack: Stack, physicians: Physicians) -> None:
    for role, landing in (("physician", "/documents"), ("admin", "/admin/undelivered")):
        account = await physicians.create(role=role)
        web = WebClient(stack)
        try:
            step = await web.post_form("/login", {"login": account.login, "password": account.password})
            if role == "physician":
                assert step.status == 303
                code = await physicians.sms_code(account.mobile, 0)
            else:  # staff enrol their authenticator app at the first login
                page = await step.text()
                assert step.status == 200 and "<svg" in page
                secret = re.search(r'<code class="enrolment-secret">([A-Z2-7 ]+)</code>', page)
                assert secret is not None
                code = app_code(secret.group(1).replace(" ", ""))
            done = await web.post_form("/login/code", {"code": code})
            assert done.status == 303 and done.headers["Location"] == "/"
            assert (await web.get("/")).headers["Location"] == landing
            assert (await web.get(landing)).status == 200
        finally:
            await web.close()


async def test_undelivered_documents_are_for_administrators_only(
    sign_in: SignIn, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    episode = hospital.episode()
    service = f"Service {uuid.uuid4().hex[:8]}"
    sent = await episode.document(title="Brouillon", service=service, status="preliminary")  # never delivered
    await portal_events.wait_for("portal.documents.undelivered", document_id=sent["document"]["id"])

    physician = await sign_in(await physicians.create())
    assert (await physician.get("/admin/undelivered")).status == 403
    admin = await sign_in(await physicians.create(role="admin"))
    assert (await admin.get("/documents")).status == 403
    page = await admin.get(f"/admin/undelivered?reason=not_final&service={service.replace(' ', '+')}")
    assert page.status == 200
    text = await page.text()
    assert sent["document"]["id"] in text and "Brouillon" in text and "Document non finalisé" in text
    assert "Le document est provisoire" in text and "the document is preliminary" not in text  # its detail, in French
    assert "Documents non distribués" in text  # the administrator's navigation
    none = await (await admin.get(f"/admin/undelivered?reason=no_consent&service={service.replace(' ', '+')}")).text()
    assert sent["document"]["id"] not in none
    assert (await admin.get("/admin/undelivered?reason=whatever")).status == 400


async def test_event_stream_says_delivered_when_a_document_arrives(
    sign_in: SignIn, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    episode = hospital.episode()
    await episode.designate(doctor.gln)
    web = await sign_in(doctor)
    stream = await web.session.get(f"{web.base}/events", timeout=aiohttp.ClientTimeout(total=30))
    try:
        assert stream.status == 200 and stream.headers["Content-Type"] == "text/event-stream"
        assert await stream.content.readline() == b"retry: 3000\n"
        await episode.document(title="En direct")

        async def delivered() -> bool | None:
            line = await asyncio.wait_for(stream.content.readline(), timeout=15)
            return True if line == b"event: delivered\n" else None

        await eventually(delivered, timeout=20, what="a delivered event")
        assert await stream.content.readline() == b"data: {}\n"
    finally:
        stream.close()

    partial = await web.get("/documents", headers={"X-Portal-Partial": "1"})
    text = await partial.text()
    assert 'id="documents-region"' in text and 'id="unread-documents"' in text and "En direct" in text
    assert "<html" not in text and "<form" not in text
    admin = await sign_in(await physicians.create(role="admin"))
    assert (await admin.get("/events")).status == 403
