"""The portal's four languages: before login the browser's `Accept-Language` chooses, the switch's
cookie beats it, and a signed-in physician's account language (their profile) beats both."""

from __future__ import annotations

import re
import uuid

import asyncpg
import pytest
from playwright.async_api import Browser, expect
from yarl import URL

from common.contracts.specialties import SPECIALTIES, SPECIALTY_NAMES
from deploy.stack import Stack
from gateway.i18n import LOCALES, by_specialty_name, load_translations, negotiate, specialty_name
from gateway.request_forms import form_fields

from .portal import Physicians
from .web import SignIn, WebClient


@pytest.mark.unit
@pytest.mark.parametrize(
    ("header", "locale"),
    [
        ("de-CH,de;q=0.9", "de"),
        ("it-CH", "it"),
        ("en-GB,en;q=0.8", "en"),
        ("fr-CH, fr;q=0.9, en;q=0.8", "fr"),
        ("es-ES,es;q=0.9", "fr"),  # none of ours: French
        ("", "fr"),
        ("en;q=0.5, it;q=0.9", "it"),  # the q-values weigh, not the order
        ("de;q=0.7, en;q=0.7", "de"),  # a tie: the first named
        ("es, de-CH;q=0.3", "de"),  # the first of ours, however low
        ("de;q=0, it;q=0.1", "it"),  # q=0: not acceptable
        ("de;q=oops, en", "en"),  # a bad weight counts as none
        ("*", "fr"),
        ("IT-ch", "it"),
        ("de_CH", "de"),
    ],
)
def test_the_browser_s_preferred_language_we_have(header: str, locale: str) -> None:
    assert negotiate(header) == locale


@pytest.mark.unit
def test_four_languages_and_a_missing_catalogue_does_not_stop_the_gateway(caplog: pytest.LogCaptureFixture) -> None:
    assert LOCALES == ("fr", "de", "it", "en")
    assert load_translations("xx").gettext("My profile") == "My profile"  # the message id, with a warning
    assert "no catalogue for xx" in caplog.text


def html_lang(page: str) -> str:
    match = re.search(r'<html lang="([a-z]+)"', page)
    assert match, "no <html lang>"
    return match.group(1)


async def test_before_login_the_browser_s_language_then_the_switch_s(web: WebClient) -> None:
    page = await web.get("/login", headers={"Accept-Language": "de-CH,de;q=0.9"})
    assert page.status == 200 and html_lang(await page.text()) == "de"
    assert {"Accept-Language", "Cookie"} <= {name.strip() for name in page.headers["Vary"].split(",")}
    assert 'lang="de" hreflang="de" aria-current="true">Deutsch<' in await page.text()
    italian = await web.get("/login", headers={"Accept-Language": "it-CH"})
    assert html_lang(await italian.text()) == "it"
    assert html_lang(await (await web.get("/login", headers={"Accept-Language": "es"})).text()) == "fr"

    for code in LOCALES:  # the switch's cookie beats the header
        switched = await web.get(f"/lang/{code}?next=/login")
        assert switched.status == 303 and switched.headers["Location"] == "/login"
        page = await web.get("/login", headers={"Accept-Language": "de-CH,de;q=0.9"})
        assert html_lang(await page.text()) == code
    refused = await web.get("/lang/es?next=/login")  # not one of ours: no route (the login page for a visitor)
    assert refused.status in (303, 404) and "portal_lang" not in refused.cookies
    assert html_lang(await (await web.get("/login")).text()) == LOCALES[-1]


async def test_a_physician_s_pages_follow_the_profile_s_language(sign_in: SignIn, physicians: Physicians) -> None:
    doctor = await physicians.create()
    web = await sign_in(doctor)
    choices = {"notify_new_documents": "each", "patients_scope": "all", "documents_scope": "all"}
    await web.post_form("/profile", {**choices, "landing_page": "documents", "locale": "it"})
    # The account's language beats the switch's cookie and the browser's header.
    web.session.cookie_jar.update_cookies({"portal_lang": "en"}, URL(web.base))
    page = await web.get("/profile", headers={"Accept-Language": "de"})
    assert html_lang(await page.text()) == "it" and 'value="it" checked' in await page.text()
    await web.post_form("/profile", {**choices, "landing_page": "documents", "locale": "de"})
    assert html_lang(await (await web.get("/documents")).text()) == "de"  # at once
    # The switch, used while signed in, is the physician's own choice for this browser's pages.
    assert (await web.get("/lang/en?next=/documents")).status == 303
    assert html_lang(await (await web.get("/documents")).text()) == "en"
    other = await sign_in(await physicians.create())  # another physician's browser: their account's
    other.session.cookie_jar.update_cookies(
        {"portal_lang": web.session.cookie_jar.filter_cookies(URL(web.base))["portal_lang"].value}, URL(other.base)
    )
    assert html_lang(await (await other.get("/documents")).text()) == "fr"
    await web.post_form("/profile", {**choices, "landing_page": "documents", "locale": "it"})
    assert html_lang(await (await web.get("/documents")).text()) == "it"  # the profile's choice again


async def test_in_chromium_the_switch_fits_a_320_px_phone_and_beats_the_browser_s_language(
    stack: Stack, browser: Browser
) -> None:
    context = await browser.new_context(locale="de-CH", viewport={"width": 320, "height": 700})
    try:
        page = await context.new_page()
        await page.goto(f"{stack.config.public_url}/login")
        await expect(page.locator("html")).to_have_attribute("lang", "de")
        switch = page.get_by_role("navigation", name=re.compile(".")).filter(has=page.locator('a[hreflang="fr"]'))
        tops = set()
        for name in ("Français", "Deutsch", "Italiano", "English"):
            box = await switch.get_by_role("link", name=name).bounding_box()
            assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= 320, name
            tops.add(round(box["y"]))
        assert len(tops) == 1  # compact: one line
        assert await page.evaluate("document.documentElement.scrollWidth") <= 320
        await switch.get_by_role("link", name="Italiano").click()
        await expect(page.locator("html")).to_have_attribute("lang", "it")
        await expect(page).to_have_url(f"{stack.config.public_url}/login")
    finally:
        await context.close()


async def test_an_account_s_language_is_one_of_the_four(physicians: Physicians) -> None:
    doctor = await physicians.create()
    assert physicians.pool is not None
    with pytest.raises(asyncpg.CheckViolationError):
        await physicians.pool.execute("UPDATE accounts SET locale = 'es' WHERE id = $1", uuid.UUID(doctor.account_id))


@pytest.mark.unit
def test_a_request_form_s_questions_in_each_language() -> None:
    titles = {locale: form_fields("message", locale) for locale in LOCALES}
    assert [field.title for field in titles["de"]] == ["Art der Anfrage", "Nachricht"]
    assert [field.title for field in titles["it"]] == ["Tipo di richiesta", "Messaggio"]
    assert titles["fr"][0].choices[1] == ("record_copy", "Demande de copie de dossier")
    assert titles["it"][0].choices[2] == ("documents", "Invio di documenti")
    assert titles["en"][0].description.startswith("What you expect")


@pytest.mark.unit
def test_the_specialist_titles_in_each_language_and_its_order() -> None:
    assert set(SPECIALTY_NAMES) == set(SPECIALTIES)
    assert all(set(names) == {"de", "it", "en"} and all(names.values()) for names in SPECIALTY_NAMES.values())
    for locale in LOCALES:
        names = [specialty_name(title, locale) for title in by_specialty_name(SPECIALTIES, locale)]
        assert len(set(names)) == len(SPECIALTIES), locale
    german = [specialty_name(title, "de") for title in by_specialty_name(SPECIALTIES, "de")]
    assert german[:3] == ["Allergologie und klinische Immunologie", "Allgemeine Innere Medizin", "Anästhesiologie"]
    assert specialty_name("Cardiologie", "fr") == "Cardiologie" and by_specialty_name(SPECIALTIES, "fr") == list(
        SPECIALTIES
    )
