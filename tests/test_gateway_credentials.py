"""Changing one's password or mobile number and ending sessions in the web UI: forms, the code by SMS, clear refusals in French."""

from __future__ import annotations

import re
import time
import uuid

from .portal import Physicians, app_code, eventually, latest_code, random_mobile
from .web import SignIn, WebClient


async def test_password_change_through_the_pages(web: WebClient, physicians: Physicians) -> None:
    doctor = await physicians.create()
    await web.log_in(doctor)
    page = await web.get("/profile/password")
    assert page.status == 200 and "Changer mon mot de passe" in await page.text()

    refused = await web.post_form(
        "/profile/password", {"current": doctor.password, "new": "qwerty123456", "again": "qwerty123456"}
    )
    assert refused.status == 400 and "fait partie des plus courants" in await refused.text()
    differ = await web.post_form(
        "/profile/password", {"current": doctor.password, "new": "une phrase assez longue", "again": "une autre phrase"}
    )
    assert differ.status == 400 and "sont différents" in await differ.text()
    wrong = await web.post_form(
        "/profile/password",
        {"current": "pas le bon", "new": "une phrase assez longue", "again": "une phrase assez longue"},
    )
    assert wrong.status == 400 and "mot de passe actuel n’est pas correct" in await wrong.text()

    since = time.time_ns()
    new = "une phrase assez longue"
    started = await web.post_form("/profile/password", {"current": doctor.password, "new": new, "again": new})
    assert started.status == 303 and started.headers["Location"] == "/profile/password/code"

    async def code() -> str | None:
        return latest_code(web.stack.outbox_dir, doctor.mobile, since)

    sms = await eventually(code, what="the SMS code")
    bad = await web.post_form("/profile/password/code", {"code": f"{(int(sms) + 1) % 1_000_000:06d}"})
    assert bad.status == 400 and "Code incorrect ou expiré" in await bad.text()
    done = await web.post_form("/profile/password/code", {"code": sms})
    assert done.status == 303 and done.headers["Location"] == "/profile/password?changed=1"
    assert "Votre mot de passe a été changé" in await (await web.get("/profile/password?changed=1")).text()
    assert not any(cookie.key == "portal_step_up" for cookie in web.session.cookie_jar)

    await physicians.age_sms_codes(doctor)
    doctor.password = new
    other = WebClient(web.stack)
    try:
        await other.log_in(doctor)  # the new password works
    finally:
        await other.close()


async def test_the_code_form_needs_a_change_under_way(web: WebClient, physicians: Physicians) -> None:
    doctor = await physicians.create()
    await web.log_in(doctor)
    response = await web.get("/profile/password/code")
    assert response.status == 303 and response.headers["Location"] == "/profile/password"


async def test_open_sessions_page_ends_another_session(web: WebClient, physicians: Physicians) -> None:
    doctor = await physicians.create()
    await web.log_in(doctor)
    elsewhere = WebClient(web.stack)
    try:
        await elsewhere.log_in(doctor)
        page = await web.get("/profile/sessions")
        text = await page.text()
        assert page.status == 200 and "Cette session" in text and text.count("Fermer cette session") == 1
        end = re.search(r'action="(/profile/sessions/[0-9a-f-]{36}/end)"', text)
        assert end is not None
        done = await web.post_form(end.group(1), {}, form_page="/profile/sessions")
        assert done.status == 303 and done.headers["Location"] == "/profile/sessions?ended=1"
        assert "La session a été fermée" in await (await web.get("/profile/sessions?ended=1")).text()

        async def ended() -> bool | None:  # the other gateway reuses identity's answer for up to 5 s
            response = await elsewhere.get("/documents")
            return True if response.status in (302, 303) else None

        assert await eventually(ended, what="the ended session refused")
        someone_else = await web.post_form(
            "/profile/sessions/00000000-0000-4000-8000-000000000000/end", {}, form_page="/profile/sessions"
        )
        assert someone_else.status == 404
    finally:
        await elsewhere.close()


async def test_mobile_change_through_the_pages(web: WebClient, physicians: Physicians) -> None:
    doctor = await physicians.create()
    await web.log_in(doctor)
    landline = await web.post_form("/profile/mobile", {"current": doctor.password, "mobile": "022 372 33 11"})
    assert landline.status == 400 and "Ce n’est pas un numéro de mobile" in await landline.text()

    since = time.time_ns()
    new_mobile = random_mobile()
    started = await web.post_form("/profile/mobile", {"current": doctor.password, "mobile": new_mobile})
    assert started.status == 303 and started.headers["Location"] == "/profile/mobile/code"
    assert 'action="/profile/mobile/code"' in await (await web.get("/profile/mobile/code")).text()
    sms = await physicians.sms_code(doctor.mobile, since)
    first = await web.post_form("/profile/mobile/code", {"code": sms})
    assert first.status == 303 and first.headers["Location"] == "/profile/mobile/code?new=1"
    assert "votre nouveau numéro" in await (await web.get("/profile/mobile/code?new=1")).text()
    new_sms = await physicians.sms_code(new_mobile, since)
    done = await web.post_form("/profile/mobile/code?new=1", {"code": new_sms}, form_page="/profile/mobile/code?new=1")
    assert done.status == 303 and done.headers["Location"] == "/profile/mobile?changed=1"
    assert "Votre numéro de mobile a été changé" in await (await web.get("/profile/mobile?changed=1")).text()


async def test_staff_enrol_their_app_in_the_login_page_then_type_its_code(
    web: WebClient, physicians: Physicians
) -> None:
    staff = await physicians.create(role="validator")
    enrolment = await web.post_form("/login", {"login": staff.login, "password": staff.password})
    page = await enrolment.text()
    assert enrolment.status == 200 and enrolment.headers["Cache-Control"] == "no-store"
    assert "Configurer votre application d’authentification" in page and "<svg" in page
    secret = re.search(r'<code class="enrolment-secret">([A-Z2-7 ]+)</code>', page)
    assert secret is not None
    staff.app_secret = secret.group(1).replace(" ", "")
    done = await web.post_form("/login/code", {"code": app_code(staff.app_secret)})
    assert done.status == 303 and done.headers["Location"] == "/"

    again = WebClient(web.stack)
    try:
        step = await again.post_form("/login", {"login": staff.login, "password": staff.password})
        assert step.status == 303 and step.headers["Location"] == "/login/code?from=app"
        form = await again.get("/login/code?from=app")
        assert "Code de votre application d’authentification" in await form.text()
        wrong = await again.post_form("/login/code?from=app", {"code": "000000"}, form_page="/login/code?from=app")
        assert wrong.status == 401 and "Code de votre application" in await wrong.text()
        right = await again.post_form(
            "/login/code?from=app", {"code": app_code(staff.app_secret)}, form_page="/login/code?from=app"
        )
        assert right.status == 303 and right.headers["Location"] == "/"
    finally:
        await again.close()


async def test_an_account_without_a_mobile_is_told_why_it_cannot_change_its_password(
    physicians: Physicians, sign_in: SignIn
) -> None:
    staff = await physicians.create(role="validator")
    browser = await sign_in(staff)
    assert physicians.pool is not None
    async with physicians.pool.acquire() as conn:
        await conn.execute("UPDATE accounts SET mobile = NULL WHERE id = $1", uuid.UUID(staff.account_id))
    new = "une phrase assez longue"
    refused = await browser.post_form("/profile/password", {"current": staff.password, "new": new, "again": new})
    assert refused.status == 400 and "pas de numéro de mobile" in await refused.text()
