"""Dates typed as the page's language writes them: Mes documents filtered from 01.01.2026 in real
Chromium, and a wrong date told at its field, with nothing else typed lost."""

from __future__ import annotations

import re

from playwright.async_api import Browser, Page, expect

from deploy.stack import Stack

from .portal import Hospital, Physicians, PortalEvents, deliver


async def test_mes_documents_filtered_by_a_date_typed_in_french(
    stack: Stack, browser: Browser, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    await deliver(portal_events, hospital.episode(), doctor.gln, title="Bilan de décembre", service="Cardiologie")
    session = await physicians.login(doctor)
    base = stack.config.public_url
    context = await browser.new_context(locale="en-US")  # the browser's language is not the page's
    await context.add_cookies([{"name": "portal_session", "value": session.secret, "url": base}])
    page = await context.new_page()
    await page.goto(f"{base}/documents")
    await _open_filters(page)

    since = page.get_by_label("Document daté du", exact=True)
    assert await since.get_attribute("type") == "text" and await since.get_attribute("placeholder") == "JJ.MM.AAAA"
    await since.fill("01.01.2026")
    await page.get_by_label("Document daté jusqu’au", exact=True).fill("31.12.2099")
    await page.get_by_role("button", name="Filtrer").click()
    await expect(page).to_have_url(re.compile(r"/documents\?.*from=01\.01\.2026&to=31\.12\.2099"))
    await expect(page.get_by_role("link", name="Bilan de décembre")).to_be_visible()
    await expect(since).to_have_value("01.01.2026")

    await _open_filters(page)
    await page.get_by_label("Document daté jusqu’au", exact=True).fill("1.1.2026")  # before the document: none listed
    await page.get_by_role("button", name="Filtrer").click()
    await expect(page.get_by_role("link", name="Bilan de décembre")).to_have_count(0)
    until = page.get_by_label("Document daté jusqu’au", exact=True)
    await expect(until).to_have_value("01.01.2026")  # as French writes it

    await _open_filters(page)
    await page.get_by_label("Nom du patient").fill("Muster")
    await since.fill("32.01.2026")
    await page.get_by_role("button", name="Filtrer").click()
    await expect(page.locator("#filter-from-error")).to_be_visible()  # not behind a closed disclosure
    await expect(page.locator("#filter-from-error")).to_have_text("Date invalide : écrivez-la JJ.MM.AAAA.")
    await expect(since).to_have_attribute("aria-invalid", "true")
    await expect(since).to_have_value("32.01.2026")  # kept as typed, and so is the rest
    await expect(page.get_by_label("Nom du patient")).to_have_value("Muster")
    await context.close()


async def _open_filters(page: Page) -> None:
    """Open the filters if they are behind a closed disclosure."""
    closed = page.locator("details:has(#filter-from):not([open]) > summary")
    if await closed.count():
        await closed.click()
