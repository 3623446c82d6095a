"""In real Chromium: HIN login through the test identity provider's own login page, for a
personal identity (a new account, its profile first) and for a practice's shared identity
(refused with a page that says why); and a secure application opened with the physician's
identity."""

from __future__ import annotations

import re
import uuid

from playwright.async_api import Browser, Page

from deploy.stack import Stack
from deploy.test_identity_provider import TestIdentityProvider

from .portal import Physicians
from .test_hin_login import accounts_with, new_identity


async def _log_in_at_hin(page: Page, base: str, idp: TestIdentityProvider, hin_id: str) -> None:
    await page.goto(f"{base}/login")
    await page.get_by_text("fournisseur d’identité de test", exact=False).first.wait_for()
    await page.get_by_role("button", name=re.compile("^Se connecter avec HIN")).click()
    await page.wait_for_url(re.compile("^" + re.escape(idp.issuer)))  # the provider's own page
    await page.locator('input[name="login"]').fill(hin_id)
    await page.locator('input[name="password"]').fill("un mot de passe quelconque")
    await page.get_by_role("button", name="Sign-in").click()


async def test_hin_login_with_a_personal_identity(
    stack: Stack,
    browser: Browser,
    hin_idp: TestIdentityProvider,
    physicians: Physicians,
) -> None:
    base = stack.config.public_url
    hin_id, gln = new_identity(hin_idp)
    context = await browser.new_context(locale="fr-CH")
    try:
        page = await context.new_page()
        await _log_in_at_hin(page, base, hin_idp, hin_id)
        await page.wait_for_url(f"{base}/profile?first=1")  # a new account confirms its profile first
        await page.get_by_role("heading", name="Mon profil").wait_for()
        await page.get_by_role("button", name="Confirmer").click()
        await page.wait_for_url(f"{base}/documents")
        await page.get_by_role("heading", name="Mes documents").wait_for()
        [account] = await accounts_with(physicians, gln)
        assert account["hin_id"] == hin_id and account["status"] == "active"
    finally:
        await context.close()


async def test_a_practice_identity_is_refused(
    stack: Stack,
    browser: Browser,
    hin_idp: TestIdentityProvider,
    physicians: Physicians,
) -> None:
    base = stack.config.public_url
    hin_id, gln = new_identity(hin_idp, kind="practice")
    context = await browser.new_context(locale="fr-CH")
    try:
        page = await context.new_page()
        await _log_in_at_hin(page, base, hin_idp, hin_id)
        await page.get_by_role("heading", name="Connexion HIN refusée").wait_for()
        assert page.url.startswith(f"{base}/login/hin/callback")
        alert = await page.get_by_role("alert").inner_text()
        assert "identité partagée" in alert and "identité HIN personnelle" in alert
        assert await accounts_with(physicians, gln) == []
        await page.goto(f"{base}/documents")
        await page.wait_for_url(f"{base}/login?next=%2Fdocuments")  # no session: the login, then the page
    finally:
        await context.close()


async def test_opening_a_secure_application_hands_the_identity_over(
    stack: Stack,
    browser: Browser,
    physicians: Physicians,
) -> None:
    """The open page's form posts the assertion to the application at once (its CSP allows that
    one origin); the application greets the physician."""
    base = stack.config.public_url
    assert physicians.pool is not None
    slug = f"app-{uuid.uuid4().hex[:10]}"
    await physicians.pool.execute(
        "INSERT INTO applications (id, slug, name, url) VALUES ($1, $2, 'Oncologie', $3)",
        uuid.uuid4(),
        slug,
        f"{stack.partner_app_url}/{slug}",
    )
    doctor = await physicians.create()
    session = await physicians.login(doctor)
    context = await browser.new_context(locale="fr-CH")
    try:
        await context.add_cookies([{"name": "portal_session", "value": session.secret, "url": base}])
        page = await context.new_page()
        await page.goto(f"{base}/applications")
        await page.get_by_role("button", name="Ouvrir Oncologie").click()
        await page.wait_for_url(f"{stack.partner_app_url}/{slug}")
        assert "Welcome, Dr" in await page.locator("#outcome").inner_text()
    finally:
        await context.close()
