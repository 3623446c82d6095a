"""A physician in real Chromium: Mes patients to a document and its PDF, and a new document arriving live."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
from playwright.async_api import Browser, BrowserContext, Page, expect

from deploy import hospital_sim
from deploy.stack import Stack
from gateway.live import MAX_STREAMS_PER_ACCOUNT

from .portal import Episode, Hospital, Physician, Physicians, PortalEvents, deliver, eventually

PDF_VIEWER = "chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/"  # Chromium's built-in PDF viewer


async def _signed_in(
    browser: Browser,
    stack: Stack,
    physicians: Physicians,
    doctor: Physician,
    **options: Any,
) -> BrowserContext:
    """A French-speaking browser holding the physician's session (the login itself is test_browser's)."""
    session = await physicians.login(doctor)
    context = await browser.new_context(locale="fr-CH", **options)
    await context.add_cookies([{"name": "portal_session", "value": session.secret, "url": stack.config.public_url}])
    return context


async def test_from_mes_patients_to_a_patient_to_a_document_and_its_pdf(
    stack: Stack,
    browser: Browser,
    hospital: Hospital,
    portal_events: PortalEvents,
    physicians: Physicians,
) -> None:
    doctor = await physicians.create()
    episode = hospital.episode(patient=hospital_sim.patient("Dupont", "Marie", "1956-03-14", "female"))
    content = hospital_sim.make_pdf("Compte-rendu opératoire", ["Cholécystectomie sans complication."])
    await deliver(
        portal_events,
        episode,
        doctor.gln,
        content=content,
        title="Protocole opératoire",
        category="operative_report",
        service="Chirurgie",
    )
    context = await _signed_in(browser, stack, physicians, doctor)
    page = await context.new_page()
    base = stack.config.public_url

    await page.goto(f"{base}/")
    await expect(page).to_have_url(f"{base}/documents")
    await page.get_by_role("link", name="Mes patients (1 patient avec des documents non lus)").click()
    await expect(page.get_by_role("heading", name="Mes patients")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Dupont Marie")
    await expect(row).to_contain_text("14.03.1956")
    await row.get_by_role("link", name="Dupont Marie").click()

    await expect(page.get_by_role("heading", name=re.compile("Dupont Marie"))).to_be_visible()
    await page.get_by_role("link", name="Protocole opératoire", exact=True).click()
    await expect(page.get_by_role("heading", name="Protocole opératoire")).to_be_visible()
    await expect(page.locator(".metadata")).to_contain_text("Chirurgie")
    await expect(page.locator(".metadata")).to_contain_text("Protocole opératoire")  # the category's label

    # On a wide screen the PDF shows beside the details, in Chromium's own viewer, even under
    # `Content-Security-Policy: sandbox`; the page frames it, with a title.
    preview = page.locator("iframe.document-preview")
    await expect(preview).to_be_visible()
    await expect(preview).to_have_attribute("title", "Protocole opératoire (le document)")
    await _wait_for_pdf_viewer(page)
    # Shown, so read: the page says it at once (document_page.js), as it will after a reload.
    await expect(page.get_by_role("button", name="Marquer comme non lu")).to_be_visible()
    await expect(page.locator(".document-badges")).not_to_contain_text("non lu")
    # Or in a new tab, titled with the document and the portal.
    async with context.expect_page() as opened:
        await page.get_by_role("link", name="Ouvrir dans un nouvel onglet").click()
    tab = await opened.value
    await expect(tab).to_have_title("Protocole opératoire – Portail des médecins")
    await _wait_for_pdf_viewer(tab)
    await tab.close()

    await page.reload()  # opening marked it read
    await expect(page.get_by_role("button", name="Marquer comme non lu")).to_be_visible()
    navigation = page.get_by_role("navigation", name="Navigation principale")
    await expect(navigation.get_by_role("link", name=re.compile(r"^Mes documents$"))).to_be_visible()  # none unread
    await context.close()


async def _wait_for_pdf_viewer(page: Page) -> None:
    async def viewer() -> bool | None:
        return True if any(frame.url.startswith(PDF_VIEWER) for frame in page.frames) else None

    await eventually(viewer, what="Chromium's PDF viewer")


async def _listening_to_mes_documents(
    stack: Stack, browser: Browser, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> tuple[Episode, BrowserContext, Page]:
    """A new physician's Mes documents, with one document, open in Chromium and listening to its events."""
    doctor = await physicians.create()
    episode = hospital.episode()
    await deliver(portal_events, episode, doctor.gln, title="Lettre de sortie")
    context = await _signed_in(browser, stack, physicians, doctor)
    page = await context.new_page()
    await page.goto(f"{stack.config.public_url}/documents")
    await expect(page.locator("main[data-live-state=open]")).to_have_count(1)  # the event stream is open
    return episode, context, page


async def test_a_new_document_appears_in_mes_documents_without_reloading(
    stack: Stack,
    browser: Browser,
    hospital: Hospital,
    portal_events: PortalEvents,
    physicians: Physicians,
) -> None:
    episode, context, page = await _listening_to_mes_documents(stack, browser, hospital, portal_events, physicians)
    await expect(page.get_by_role("link", name="Mes documents (1 document non lu)")).to_be_visible()
    await page.evaluate("window.notReloaded = true")

    await episode.document(title="Résultats de laboratoire du jour", category="lab_report")

    new_row = page.get_by_role("row").filter(has_text="Résultats de laboratoire du jour")
    await expect(new_row).to_be_visible(timeout=15_000)  # a deadline, not a sleep
    await expect(new_row).to_have_class(re.compile(r"\blive-arrived\b"))  # highlighted a moment, then not
    old_row = page.get_by_role("row").filter(has_text="Lettre de sortie")
    await expect(old_row).not_to_have_class(re.compile(r"\blive-arrived\b"))
    await expect(new_row).not_to_have_class(re.compile(r"\blive-arrived\b"), timeout=15_000)
    await expect(page.get_by_role("link", name="Mes documents (2 documents non lus)")).to_be_visible()
    await expect(page.get_by_role("status")).to_have_text("Nouveau document reçu")
    assert await page.evaluate("window.notReloaded") is True
    await context.close()


async def test_a_tab_whose_stream_newer_tabs_took_listens_again_when_looked_at(
    stack: Stack,
    browser: Browser,
    hospital: Hospital,
    portal_events: PortalEvents,
    physicians: Physicians,
) -> None:
    episode, context, page = await _listening_to_mes_documents(stack, browser, hospital, portal_events, physicians)
    [cookie] = [cookie for cookie in await context.cookies() if cookie["name"] == "portal_session"]
    tabs = aiohttp.ClientSession(cookies={"portal_session": cookie["value"]})
    try:
        newer = [await tabs.get(f"{stack.config.public_url}/events") for _ in range(MAX_STREAMS_PER_ACCOUNT)]
        assert all(stream.status == 200 for stream in newer)
        await expect(page.locator("main[data-live-state=superseded]")).to_have_count(1)  # it stopped listening

        await deliver(portal_events, episode, title="Arrivée entre-temps")
        await page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # looked at again
        await expect(page.get_by_role("row").filter(has_text="Arrivée entre-temps")).to_be_visible()  # up to date
        await expect(page.locator("main[data-live-state=open]")).to_have_count(1)
    finally:
        await tabs.close()
        await context.close()


async def test_mes_documents_shows_many_rows_above_the_fold_and_its_filters_folded(
    stack: Stack, browser: Browser, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor, episode = await physicians.create(), hospital.episode()
    for number in range(10):  # the first one designates the physician
        await deliver(portal_events, episode, doctor.gln if number == 0 else None, title=f"Lettre {number}")
    context = await _signed_in(browser, stack, physicians, doctor, viewport={"width": 1366, "height": 768})
    page = await context.new_page()
    await page.goto(f"{stack.config.public_url}/documents")

    await expect(page.get_by_role("searchbox", name="Nom du patient")).to_be_visible()
    await expect(page.get_by_label("Catégorie")).to_be_hidden()  # behind "Filtres", folded
    bottoms = [
        box["y"] + box["height"]
        for row in await page.locator("table.documents tbody tr").all()
        if (box := await row.bounding_box())
    ]
    assert sum(bottom <= 768 for bottom in bottoms) >= 8, bottoms
    scroll = page.locator(".table-scroll")  # and the whole table, actions included, with no sideways scroll
    assert await scroll.evaluate("box => box.scrollWidth <= box.clientWidth")

    await page.get_by_text("Filtres", exact=True).click()
    await page.get_by_label("Catégorie").select_option("lab_report")
    await page.get_by_role("button", name="Filtrer").click()
    await expect(page.get_by_label("Catégorie")).to_be_visible()  # open while a filter is set
    await expect(page.locator(".filters__more > summary")).to_have_text("Filtres (1 actif)")
    await page.goto(f"{stack.config.public_url}/lang/de?next=/documents")  # German's longer words too
    await expect(page.get_by_role("columnheader", name="Eingegangen am")).to_be_visible()
    assert await scroll.evaluate("box => box.scrollWidth <= box.clientWidth")
    await context.close()
