"""On a phone (WCAG 1.4.10 reflow): between 320 and 390 px wide no page scrolls sideways, lists
become cards, and Mes documents shows each document's date and actions (issue 15)."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, Page, expect

from deploy import hospital_sim
from deploy.stack import Stack

from .portal import Hospital, Physician, Physicians, PortalEvents, deliver

SHOTS = Path("/tmp/shots")
PHYSICIAN_PAGES = ("/documents", "/patients", "/requests", "/help", "/profile")


async def _phone(
    browser: Browser, stack: Stack, physicians: Physicians, who: Physician, width: int, height: int
) -> Page:
    session = await physicians.login(who)
    context = await browser.new_context(locale="fr-CH", viewport={"width": width, "height": height})
    await context.add_cookies([{"name": "portal_session", "value": session.secret, "url": stack.config.public_url}])
    return await context.new_page()


async def _fits(page: Page, url: str, width: int, shot: str) -> None:
    response = await page.goto(url)
    assert response is not None and response.status == 200, url
    scroll_width = await page.evaluate("document.documentElement.scrollWidth")
    SHOTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"phones-{shot}.png"), full_page=True)
    assert scroll_width <= width, f"{url} is {scroll_width} px wide on a {width} px screen"


async def test_a_physicians_pages_fit_a_phone_and_show_each_documents_date_and_actions(
    stack: Stack, browser: Browser, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    episode = hospital.episode(
        patient=hospital_sim.patient("Schwarzenberg-Lichtenstein", "Anne-Marie", "1948-07-02", "female")
    )
    await deliver(
        portal_events,
        episode,
        doctor.gln,
        title="Compte-rendu d’hospitalisation en médecine interne",
        service="Médecine interne",
    )
    for index in range(2):
        await deliver(portal_events, episode, title=f"Lettre de sortie {index}", service="Cardiologie")
    base = stack.config.public_url
    for width, height in ((390, 844), (320, 700)):
        page = await _phone(browser, stack, physicians, doctor, width, height)
        for path in PHYSICIAN_PAGES:
            await _fits(page, f"{base}{path}", width, f"{width}{path.replace('/', '-')}")
        await page.goto(f"{base}/documents")
        first = page.locator("table.documents tbody tr").first
        await first.scroll_into_view_if_needed()
        for part in (
            first.locator("time"),
            first.get_by_role("link", name="Ouvrir"),
            first.get_by_role("link", name="Télécharger"),
        ):
            await expect(part).to_be_visible()
            box = await part.bounding_box()
            assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= width
        label = await first.locator("td:has(time)").evaluate("cell => getComputedStyle(cell, '::before').content")
        assert label == '"Reçu le"'  # the date's line is named on the card
        # The document's page: no frame on a phone (nor its request), the links to open and download.
        await first.locator("th a").click()
        await expect(page.get_by_role("link", name="Ouvrir dans un nouvel onglet")).to_be_visible()
        await expect(page.get_by_role("link", name="Télécharger")).to_be_visible()
        await expect(page.locator("iframe.document-preview")).to_be_hidden()
        assert await page.evaluate("document.documentElement.scrollWidth") <= width
        await page.context.close()
