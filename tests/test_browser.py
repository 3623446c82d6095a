"""A physician in real Chromium: password, SMS code from the dev outbox, Mes documents, the PDF."""

from __future__ import annotations

import re
import time

from playwright.async_api import Browser

from deploy.hospital_sim import make_pdf
from deploy.stack import Stack

from .portal import Hospital, Physicians, PortalEvents, deliver, eventually, latest_code


async def test_physician_logs_in_with_sms_code_and_opens_a_document(
    stack: Stack, browser: Browser, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    content = make_pdf("Lettre de sortie", ["Suivi à 3 mois."])
    await deliver(
        portal_events, hospital.episode(), doctor.gln, content=content, title="Lettre de sortie de médecine interne"
    )

    context = await browser.new_context(locale="fr-CH")
    page = await context.new_page()
    base = stack.config.public_url
    await page.goto(f"{base}/documents")
    assert page.url.startswith(f"{base}/login")

    since = time.time_ns()
    await page.get_by_label("Identifiant").fill(doctor.login)
    await page.get_by_label("Mot de passe").fill(doctor.password)
    await page.get_by_role("button", name="Continuer", exact=True).click()
    await page.wait_for_url(f"{base}/login/code")

    # The SMS lands in the dev outbox, which the page at /dev/outbox shows.
    async def code_arrived() -> str | None:
        return latest_code(stack.outbox_dir, doctor.mobile, since)

    code = await eventually(code_arrived, what="the SMS code")
    outbox = await context.new_page()
    await outbox.goto(f"{base}/dev/outbox")
    assert code in await outbox.content()
    await outbox.close()

    await page.get_by_label(re.compile("Code", re.I)).fill(code)
    await page.get_by_role("button", name=re.compile("Valider|Se connecter|Continuer", re.I)).click()
    await page.wait_for_url(f"{base}/documents")  # through "/", which sends each role to its own page
    assert "Mes documents" in await page.title() or await page.get_by_role("heading", name="Mes documents").count()

    row = page.get_by_role("row").filter(has_text="Lettre de sortie de médecine interne")
    await row.wait_for()
    assert "Rochat" in await row.inner_text()

    link = row.get_by_role("link", name=re.compile("^Ouvrir"))
    href = await link.get_attribute("href")
    assert href is not None
    response = await context.request.get(f"{base}{href}" if href.startswith("/") else href)
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/pdf")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert await response.body() == content
    await context.close()
