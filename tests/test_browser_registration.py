"""In real Chromium: a physician asks for an account, a validator checks the identity, an
administrator creates the login, and the physician's first login goes through choosing a
password. Staff log in with their authenticator app (enrolled at their first login)."""

from __future__ import annotations

import re
import time
import uuid

from playwright.async_api import Browser, BrowserContext, Page

from deploy.stack import Stack

from .portal import (
    Physician,
    Physicians,
    app_code,
    emailed_password,
    eventually,
    latest_code,
    outbox_messages,
    random_gln,
    random_mobile,
)
from .test_identity_validation import ID_COPY


async def _staff_login(context: BrowserContext, base: str, staff: Physician) -> Page:
    """Password, then the app's code: enrolled from the QR page's key at the first login."""
    page = await context.new_page()
    await page.goto(f"{base}/login")
    await page.get_by_label("Identifiant").fill(staff.login)
    await page.get_by_label("Mot de passe").fill(staff.password)
    await page.get_by_role("button", name="Continuer").click()
    key = page.locator("code.enrolment-secret")
    await key.wait_for()
    staff.app_secret = (await key.inner_text()).replace(" ", "")
    assert await page.locator("figure.enrolment-qr svg").count() == 1
    await page.get_by_label(re.compile("Code à 6 chiffres")).fill(app_code(staff.app_secret))
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_load_state()
    return page


async def test_registration_validation_login_creation_first_login(
    stack: Stack,
    browser: Browser,
    physicians: Physicians,
) -> None:
    base = stack.config.public_url
    mobile, email, login = (
        random_mobile(),
        f"dr-{uuid.uuid4().hex[:8]}@cabinet.example.ch",
        f"dr-{uuid.uuid4().hex[:6]}",
    )

    # 1. The physician's request
    applicant = await browser.new_context(locale="fr-CH")
    page = await applicant.new_page()
    await page.goto(f"{base}/login")
    await page.get_by_role("link", name="Demander un compte").click()
    await page.get_by_label("Nom", exact=True).fill("Favre")
    await page.get_by_label("Prénom").fill("Claire")
    await page.get_by_label("GLN (Suisse) ou numéro RPPS (France)").fill(random_gln())
    await page.get_by_label("Rue et numéro").fill("Rue du Rhône 1")
    await page.get_by_label("Code postal").fill("1204")
    await page.get_by_label("Localité").fill("Genève")
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Numéro de mobile").fill(mobile.replace("+41", "0"))
    await page.get_by_label("Lieu", exact=True).fill("Genève")
    await page.get_by_role("button", name="Envoyer ma demande").click()
    await page.get_by_text("Cochez la case pour certifier votre demande.").wait_for()  # what was typed stays
    assert await page.get_by_label("Localité").input_value() == "Genève"
    await page.get_by_label(re.compile("Je certifie")).check()
    await page.get_by_role("button", name="Envoyer ma demande").click()
    await page.get_by_role("heading", name="Demande reçue").wait_for()
    reference = await page.locator(".reference").inner_text()

    # 2. The validator's identity check
    validator = await physicians.create(role="validator")
    checking = await browser.new_context(locale="fr-CH")
    desk = await _staff_login(checking, base, validator)
    await desk.wait_for_url(f"{base}/validation")
    await desk.get_by_role("link", name=reference).click()
    since = time.time_ns()
    await desk.get_by_role("button", name="Envoyer un SMS de contrôle").click()

    async def control() -> str | None:
        messages = outbox_messages(stack.outbox_dir, "sms", mobile, since)
        return messages[-1]["body"].split("code ")[1][:6] if messages else None

    await desk.get_by_label("Code que le demandeur lit sur son téléphone").fill(
        await eventually(control, what="the control SMS")
    )
    await desk.get_by_role("button", name="Confirmer le numéro de mobile").click()
    await desk.get_by_label(re.compile("^Copie \\(PDF")).set_input_files(
        files=[{"name": "carte.pdf", "mimeType": "application/pdf", "buffer": ID_COPY}]
    )
    await desk.get_by_role("button", name="Conserver la copie").click()
    await desk.get_by_text("Copie conservée").wait_for()
    await desk.get_by_label("En présentiel").check()
    await desk.get_by_label("Numéro de la pièce d’identité").fill("C1234567")
    await desk.get_by_label("Lieu", exact=True).fill("Genève")
    await desk.get_by_role("button", name="Signer la vérification d’identité").click()
    await desk.get_by_text("en attente de son identifiant").first.wait_for()

    # 3. The administrator's login
    admin = await physicians.create(role="admin")
    office = await browser.new_context(locale="fr-CH")
    console = await _staff_login(office, base, admin)
    await console.goto(desk.url)
    since = time.time_ns()
    await console.get_by_role("textbox", name="Identifiant").fill(login)
    await console.get_by_role("button", name="Créer l’identifiant").click()
    await console.get_by_text("Identifiant créé par").wait_for()

    temporary = await emailed_password(stack.outbox_dir, email, since)

    # 4. The first login: a password of one's own before anything else
    since = time.time_ns()
    await page.goto(f"{base}/login")
    await page.get_by_label("Identifiant").fill(login)
    await page.get_by_label("Mot de passe").fill(temporary)
    await page.get_by_role("button", name="Continuer").click()

    async def code() -> str | None:
        return latest_code(stack.outbox_dir, mobile, since)

    await page.get_by_label(re.compile("Code", re.I)).fill(await eventually(code, what="the SMS code"))
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url(f"{base}/profile/password?first=1")
    await page.get_by_text("Votre mot de passe est provisoire").wait_for()
    own = "une phrase à moi, assez longue"
    since = time.time_ns()
    await page.get_by_text("Étape 1 sur 2").wait_for()
    await page.get_by_label("Mot de passe provisoire").fill(temporary)
    await page.get_by_label("Nouveau mot de passe", exact=True).fill(own)
    await page.get_by_label("Nouveau mot de passe, une seconde fois").fill(own)
    await page.get_by_role("button", name="Continuer").click()
    await page.get_by_label(re.compile("Code", re.I)).fill(await eventually(code, what="the SMS code"))
    await page.get_by_role("button", name="Confirmer le changement").click()
    await page.wait_for_url(f"{base}/profile?first=1&step=2")  # then the profile, confirmed once
    await page.get_by_text("Étape 2 sur 2").wait_for()
    await page.get_by_label("Pédiatrie").check()
    await page.get_by_role("button", name="Confirmer").click()
    await page.wait_for_url(f"{base}/documents")
    await page.get_by_role("status").filter(has_text="Profil enregistré").wait_for()
    for context in (applicant, checking, office):
        await context.close()
