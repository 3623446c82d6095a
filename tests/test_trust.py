"""What tells a physician this is their hospital's portal and their own account (issue 15): the
hospital's name and logo (configuration) in the header and the page titles, a footer with the
help, the legal notice and the privacy policy, and the previous login said once after logging in."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from common.settings import SettingsError
from gateway.config import DEMO_HOSPITAL_LOGO, DEMO_HOSPITAL_NAME, GatewaySettings
from gateway.locale_formats import LocaleFormats

from .portal import Physicians
from .web import WebClient

LAST_LOGIN = re.compile(r"Dernière connexion le (\S+) à (\d\d:\d\d)<")


async def _landing(web: WebClient) -> str:
    sent = await web.get("/")
    return await (await web.get(sent.headers["Location"]) if sent.status == 303 else sent).text()


async def test_the_previous_login_is_said_once_after_logging_in(physicians: Physicians) -> None:
    doctor = await physicians.create()
    first, second = WebClient(physicians.stack), WebClient(physicians.stack)
    try:
        await first.log_in(doctor)
        assert LAST_LOGIN.search(await _landing(first)) is None  # no earlier login
        assert physicians.pool is not None
        async with physicians.pool.acquire() as conn:
            opened: datetime = await conn.fetchval(
                "UPDATE sessions SET created_at = '2026-01-30 13:05:30+00' WHERE account_id = $1 RETURNING created_at",
                uuid.UUID(doctor.account_id),
            )
        await second.log_in(doctor)
        said = LAST_LOGIN.search(await _landing(second))
        local = opened.astimezone(ZoneInfo("Europe/Zurich"))
        assert local.strftime("%H:%M") == "14:05"  # winter: UTC+1
        assert said is not None and said.groups() == (LocaleFormats("fr").day(local.date()), "14:05")
        assert LAST_LOGIN.search(await _landing(second)) is None  # once
    finally:
        await first.close()
        await second.close()


@pytest.mark.unit
def test_the_hospitals_logo_is_a_path_on_this_site(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"NATS_USER": "gateway", "NATS_PASSWORD": "x", "PORTAL_CSRF_SECRET": "s" * 32}.items():
        monkeypatch.setenv(name, value)
    settings = GatewaySettings.from_env()
    assert (settings.hospital_name, settings.hospital_logo_url) == (DEMO_HOSPITAL_NAME, DEMO_HOSPITAL_LOGO)
    for hostile in ("https://evil.example/logo.png", "//evil.example/logo.png", "javascript:alert(1)", "/\\evil"):
        monkeypatch.setenv("PORTAL_HOSPITAL_LOGO_URL", hostile)
        with pytest.raises(SettingsError, match="PORTAL_HOSPITAL_LOGO_URL"):
            GatewaySettings.from_env()
    monkeypatch.setenv("PORTAL_HOSPITAL_NAME", "   ")
    monkeypatch.delenv("PORTAL_HOSPITAL_LOGO_URL")
    with pytest.raises(SettingsError, match="PORTAL_HOSPITAL_NAME"):
        GatewaySettings.from_env()


async def test_every_page_names_the_hospital_and_links_the_legal_pages(web: WebClient, physicians: Physicians) -> None:
    for path in ("/login", "/legal", "/privacy"):  # before login too
        response = await web.get(path)
        page = await response.text()
        assert response.status == 200, path
        assert f"– Portail des médecins – {DEMO_HOSPITAL_NAME}</title>" in page, path
        assert f'<img class="site-logo" src="{DEMO_HOSPITAL_LOGO}" alt=""' in page
        assert f'<span class="site-hospital">{DEMO_HOSPITAL_NAME}</span>' in page
        for link in ('href="/help"', 'href="/legal"', 'href="/privacy"'):
            assert link in page.split('<footer class="site-footer">')[1], (path, link)
    assert (await web.get(DEMO_HOSPITAL_LOGO)).status == 200
    legal = await (await web.get("/legal")).text()
    assert "Mentions légales" in legal and f"exploité par {DEMO_HOSPITAL_NAME}" in legal
    privacy = await (await web.get("/privacy")).text()
    assert "nLPD" in privacy and "30 minutes" in privacy and "Vos droits" in privacy
    await web.log_in(await physicians.create())
    assert DEMO_HOSPITAL_NAME in await (await web.get("/privacy")).text()  # a session changes nothing there
