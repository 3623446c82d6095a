"""A physician in real Chromium: Mes patients to a document and its PDF, and a new document arriving live."""

from __future__ import annotations

import re

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
) -> BrowserContext:
    """A French-speaking browser holding the physician's session (the login itself is test_browser's)."""
    session = await physicians.login(doctor)
    context = await browser.new_context(locale="fr-CH")
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

    # Opening shows the PDF in Chromium's own viewer, even under `Content-Security-Policy: sandbox`.
    href = await page.get_by_role("link", name="Ouvrir", exact=True).get_attribute("href")
    pdf = await context.new_page()
    response = await pdf.goto(f"{base}{href}")
    assert response is not None and response.status == 200
    assert (await response.all_headers())["content-security-policy"].startswith("sandbox;")
    await _wait_for_pdf_viewer(pdf)
    await pdf.close()

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
