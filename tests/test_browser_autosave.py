"""A request's draft saved as the physician types, in real Chromium on a phone's width (F3.2):
the first save makes the draft and the page becomes its own; later saves update that one draft."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import asyncpg
from playwright.async_api import Browser, expect

from common.contracts import hospital_requests as contract
from deploy import hospital_sim
from deploy.stack import Stack

from .portal import Hospital, Physicians, PortalEvents, deliver, eventually
from .test_services_directory import _service


async def test_a_draft_saves_itself_and_the_page_becomes_the_draft_s(
    stack: Stack,
    browser: Browser,
    hospital: Hospital,
    portal_events: PortalEvents,
    physicians: Physicians,
    requests_db: asyncpg.Pool,
) -> None:
    code = f"NEPH-{uuid.uuid4().hex[:6]}"
    await hospital.publish(contract.SERVICES, _service(code, "Néphrologie", datetime.now(UTC)))
    await eventually(lambda: requests_db.fetchval("SELECT 1 FROM services WHERE code = $1", code), what="the service")
    doctor = await physicians.create()
    patient = hospital_sim.patient("Favre", "Louise", "1950-06-01", "female")
    await deliver(portal_events, hospital.episode(patient=patient), doctor.gln, title="Lettre")
    session = await physicians.login(doctor)
    context = await browser.new_context(locale="fr-CH", viewport={"width": 390, "height": 844})
    await context.add_cookies([{"name": "portal_session", "value": session.secret, "url": stack.config.public_url}])
    page = await context.new_page()
    base = stack.config.public_url

    await page.goto(f"{base}/requests/new/consultation")
    await page.get_by_label("Service", exact=True).select_option(label="Néphrologie")
    await page.get_by_label("Un de mes patients").select_option(
        label=f"Favre Louise, 01.06.1950, patient n° {patient['id']}"
    )
    await expect(page.locator("#typed-patient")).to_be_hidden()  # used only when none is chosen
    await page.get_by_label("Objet").fill("Insuffisance rénale")
    await page.get_by_label("Motif de la demande").fill("Créatinine en hausse")
    status = page.get_by_role("status").filter(has_text="Brouillon")
    await expect(status).to_have_text(re.compile(r"Brouillon enregistré à \d\d:\d\d"), timeout=10_000)
    await expect(page).to_have_url(re.compile(rf"{re.escape(base)}/requests/[0-9a-f-]{{36}}$"))
    draft_url = page.url
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone

    await page.get_by_label("Question posée").fill("Biopsie ?")
    account = uuid.UUID(doctor.account_id)

    async def updated() -> bool | None:
        fields = await requests_db.fetchval("SELECT fields->>'question' FROM requests WHERE account_id = $1", account)
        return fields == "Biopsie ?" or None

    await eventually(updated, what="the draft updated in the background")
    assert await requests_db.fetchval("SELECT count(*) FROM requests WHERE account_id = $1", account) == 1

    await page.reload()
    await expect(page).to_have_url(draft_url)
    await expect(page.get_by_label("Question posée")).to_have_value("Biopsie ?")
    await expect(page.get_by_label("Un de mes patients")).to_have_value(re.compile(r"[0-9a-f-]{36}"))
    await page.get_by_role("button", name="Enregistrer le brouillon").click()  # the button saves the same draft
    await expect(page).to_have_url(draft_url)
    assert await requests_db.fetchval("SELECT count(*) FROM requests WHERE account_id = $1", account) == 1
    await context.close()
