"""A consultation from the physician's browser to the service's member and back, in real Chromium
(issue 13): sent with a PDF, answered with one, the answer appearing on the physician's page
without reloading, and the email that says an answer arrived."""

from __future__ import annotations

import re
import time

import asyncpg
from playwright.async_api import Browser, expect

from deploy import hospital_sim
from deploy.stack import Stack

from .portal import Hospital, Physicians, eventually, outbox_messages
from .test_request_attachments import a_pdf
from .test_staff_inboxes import _service_with


async def test_a_consultation_with_a_pdf_answered_with_a_pdf_arrives_live_and_by_email(
    stack: Stack, browser: Browser, hospital: Hospital, physicians: Physicians, requests_db: asyncpg.Pool
) -> None:
    nurse = await physicians.create(role="service_staff")
    code = await _service_with(physicians, hospital, requests_db, nurse)
    name = await requests_db.fetchval("SELECT name FROM services WHERE code = $1", code)
    doctor = await physicians.create()
    base = stack.config.public_url
    doctor_context = await browser.new_context(locale="fr-CH", viewport={"width": 1366, "height": 768})
    session = await physicians.login(doctor)
    await doctor_context.add_cookies([{"name": "portal_session", "value": session.secret, "url": base}])
    page = await doctor_context.new_page()

    await page.goto(f"{base}/requests/new/consultation")
    await page.get_by_label("Service", exact=True).select_option(label=name)
    await page.get_by_label("Objet").fill("Avis cardiologique")
    await page.get_by_label("Nom", exact=True).fill("Muster")
    await page.get_by_label("Prénom").fill("Anna")
    await page.get_by_label("Date de naissance").fill("02.03.1964")
    await page.get_by_label("Sexe").select_option("female")
    await page.get_by_label("Motif de la demande").fill("Douleurs thoraciques")
    await page.get_by_label("Question posée").fill("Coronarographie ?")
    ecg = a_pdf(300 * 1024)
    await page.locator("#files").set_input_files([{"name": "ecg.pdf", "mimeType": "application/pdf", "buffer": ecg}])
    await page.get_by_role("button", name="Envoyer au service").click()
    await expect(page).to_have_url(re.compile(rf"{re.escape(base)}/requests/[0-9a-f-]{{36}}$"))
    await expect(page.get_by_role("link", name="ecg.pdf")).to_be_visible()
    request_url = page.url

    nurse_context = await browser.new_context(locale="fr-CH", viewport={"width": 1366, "height": 768})
    nurse_session = await physicians.login(nurse)
    await nurse_context.add_cookies([{"name": "portal_session", "value": nurse_session.secret, "url": base}])
    desk = await nurse_context.new_page()
    await desk.goto(f"{base}/inbox?service={code}")
    await desk.get_by_role("link", name="Avis cardiologique").click()
    sent_file = desk.get_by_role("link", name="ecg.pdf")
    async with desk.expect_popup() as popup:
        await sent_file.click()
    opened = await popup.value
    assert (await opened.evaluate("document.contentType")) == "application/pdf"  # the physician's file, opened
    await opened.close()

    since = time.time_ns()
    await desk.get_by_label("Votre réponse").fill("Coronarographie indiquée, compte rendu joint.")
    report = hospital_sim.make_pdf("Compte rendu", ["coronarographie"])
    await desk.locator("#files").set_input_files(
        [{"name": "compte-rendu.pdf", "mimeType": "application/pdf", "buffer": report}]
    )
    await desk.get_by_role("button", name="Envoyer la réponse").click()
    await expect(desk.get_by_role("link", name="compte-rendu.pdf")).to_be_visible()

    # The physician's page, left open, shows the answer and its file without being reloaded.
    assert page.url == request_url
    await expect(page.get_by_text("Coronarographie indiquée, compte rendu joint.")).to_be_visible(timeout=15_000)
    answer_file = page.get_by_role("link", name="compte-rendu.pdf")
    await expect(answer_file).to_be_visible()
    href = await answer_file.get_attribute("href")
    assert href is not None
    fetched = await page.request.get(f"{base}{href}")
    assert fetched.status == 200 and await fetched.body() == report

    async def mailed() -> list[dict] | None:
        return outbox_messages(stack.outbox_dir, "email", f"{doctor.login}@cabinet.example.ch", since) or None

    [email] = await eventually(mailed, what="the email that an answer arrived")
    assert request_url in email["body"] and "Muster" not in email["body"] and "Coronarographie" not in email["body"]
    await nurse_context.close()
    await doctor_context.close()
