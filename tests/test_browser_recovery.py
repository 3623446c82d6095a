"""In real Chromium: a forgotten password, from the login page to logging in with the new one (F5.6)."""

from __future__ import annotations

import re
import time

from playwright.async_api import Browser, Page

from deploy.stack import Stack

from . import leaks
from .portal import Physicians, eventually, latest_code
from .test_account_recovery import emailed_link

NEW_PASSWORD = "le chat dort sur le radiateur"


async def _type_sms_code(page: Page, stack: Stack, mobile: str, since: int, button: str) -> None:
    async def arrived() -> str | None:
        return latest_code(stack.outbox_dir, mobile, since)

    code = await eventually(arrived, what="the SMS code")
    await page.get_by_label("Code à 6 chiffres").fill(code)
    await page.get_by_role("button", name=button).click()


async def test_a_forgotten_password_from_the_login_page_to_the_new_login(
    stack: Stack, browser: Browser, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    leaks.SENSITIVE.remember(leaks.PASSWORD, NEW_PASSWORD)
    base = stack.config.public_url
    context = await browser.new_context(locale="fr-CH")
    try:
        page = await context.new_page()
        await page.goto(f"{base}/login")
        await page.get_by_role("link", name="Mot de passe oublié ?").click()
        await page.wait_for_url(f"{base}/login/forgot")
        since = time.time_ns()
        await page.get_by_label("Identifiant ou adresse e-mail").fill(doctor.login)
        await page.get_by_role("button", name="M’envoyer un lien").click()
        await page.wait_for_url(f"{base}/login/forgot/sent")
        await page.get_by_role("heading", name="Consultez votre messagerie").wait_for()

        # The physician opens the email's link: the address bar keeps no token.
        path, _ = await emailed_link(stack.outbox_dir, f"{doctor.login}@cabinet.example.ch", since)
        await page.goto(base + path)
        await page.wait_for_url(f"{base}/login/recover")
        await page.get_by_role("heading", name="Choisir un nouveau mot de passe").wait_for()
        await page.get_by_label("Nouveau mot de passe", exact=True).fill(NEW_PASSWORD)
        await page.get_by_label("Nouveau mot de passe, une seconde fois").fill(NEW_PASSWORD)
        since = time.time_ns()
        await page.get_by_role("button", name="Continuer").click()
        await page.wait_for_url(f"{base}/login/recover/code")
        await _type_sms_code(page, stack, doctor.mobile, since, "Enregistrer mon nouveau mot de passe")
        await page.wait_for_url(f"{base}/login?recovered=1")
        await page.get_by_text("Votre nouveau mot de passe est enregistré").wait_for()

        await physicians.age_sms_codes(doctor)
        await page.get_by_label("Identifiant").fill(doctor.login)
        await page.get_by_label("Mot de passe", exact=True).fill(NEW_PASSWORD)
        since = time.time_ns()
        await page.get_by_role("button", name="Continuer", exact=True).click()
        await page.wait_for_url(f"{base}/login/code")
        await _type_sms_code(page, stack, doctor.mobile, since, "Se connecter")
        await page.wait_for_url(re.compile(f"^{re.escape(base)}/(documents|patients)$"))
        await page.get_by_role("heading", name="Mes documents").wait_for()
    finally:
        await context.close()
