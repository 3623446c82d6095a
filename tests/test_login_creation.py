"""Registration to first login, over HTTP: the public form, the validator's check, the
administrator's login with a temporary password by email (72 hours), and a first login that
must choose a password before anything else."""

from __future__ import annotations

import re
import time
import uuid

from .portal import Physician, Physicians, eventually, latest_code, outbox_messages, random_gln, random_mobile, sms_to
from .test_identity_validation import ID_COPY
from .web import SignIn, WebClient


async def _validated_request(
    physicians: Physicians, sign_in: SignIn, web: WebClient, screening: bool = False, language: str = "fr"
) -> tuple[str, dict[str, str]]:
    email = f"dr-{uuid.uuid4().hex[:8]}@cabinet.example.ch"
    fields = {
        "family_name": "Favre",
        "given_name": "Claire",
        "street": "Rue du Rhône 1",
        "postcode": "1204",
        "city": "Genève",
        "country": "CH",
        "email": email,
        "mobile": random_mobile(),
        "number": random_gln(),
        "signed_place": "Genève",
        "signed": "1",
        **({"screening_access": "1"} if screening else {}),
    }
    await web.get(f"/lang/{language}?next=/register")  # the form's language
    sent = await web.post_form("/register", fields)
    reference = sent.headers["Location"].split("reference=")[1]
    validator = await sign_in(await physicians.create(role="validator"))
    queue = await (await validator.get("/validation")).text()
    found = re.search(rf'href="(/validation/[0-9a-f-]{{36}})">{reference}<', queue)
    assert found is not None
    path = found.group(1)
    since = time.time_ns()
    await validator.post_form(f"{path}/control", {}, form_page=path)
    sms = await sms_to(physicians.stack.outbox_dir, fields["mobile"], since)
    code = re.search(r"\b(\d{6})\b", sms["body"])
    assert code is not None
    await validator.post_form(f"{path}/control/confirm", {"code": code.group(1)}, form_page=path)
    await validator.upload(f"{path}/id-copy", "copy", "carte.pdf", ID_COPY, form_page=path)
    signed = await validator.post_form(
        f"{path}/sign",
        {"check_method": "in_person", "id_document_number": "C1234567", "validator_name": "Anne V", "place": "Genève"},
        form_page=path,
    )
    assert signed.status == 303
    return path, fields


async def test_from_the_form_to_the_first_login(physicians: Physicians, sign_in: SignIn, web: WebClient) -> None:
    path, fields = await _validated_request(physicians, sign_in, web)
    admin = await sign_in(await physicians.create(role="admin"))
    login = f"favre-{uuid.uuid4().hex[:6]}"
    bad = await admin.post_form(f"{path}/login", {"login": "x"}, form_page=path)
    assert bad.status == 400 and "3 à 40 caractères" in await bad.text()
    since = time.time_ns()
    created = await admin.post_form(f"{path}/login", {"login": login}, form_page=path)
    assert created.status == 303
    page = await (await admin.get(path)).text()
    assert "identifiant créé" in page and login in page
    again = await admin.post_form(f"{path}/login", {"login": login + "x"}, form_page=path)
    assert again.status == 409  # one login per request

    async def mail() -> list[dict[str, str]] | None:
        return outbox_messages(physicians.stack.outbox_dir, "email", fields["email"], since) or None

    [message] = await eventually(mail, what="the temporary password's email")
    temporary = re.search(r"Mot de passe provisoire : (\S+)", message["body"])
    assert temporary is not None and login in message["body"] and "72 heures" in message["body"]

    doctor = Physician(
        account_id="", login=login, password=temporary.group(1), gln=fields["number"], mobile=fields["mobile"]
    )
    browser = WebClient(physicians.stack)
    try:
        since = time.time_ns()
        step = await browser.post_form("/login", {"login": login, "password": doctor.password})
        assert step.status == 303

        async def code() -> str | None:
            return latest_code(physicians.stack.outbox_dir, doctor.mobile, since)

        await browser.post_form("/login/code", {"code": await eventually(code, what="the SMS code")})
        for anywhere in ("/", "/documents", "/profile/sessions"):  # nothing before choosing a password
            response = await browser.get(anywhere)
            assert response.status == 303 and response.headers["Location"] == "/profile/password?first=1"
        first_step = await (await browser.get("/profile/password?first=1")).text()
        assert "mot de passe est provisoire" in first_step and "Étape 1 sur 2" in first_step
        assert '<label for="current">Mot de passe provisoire</label>' in first_step
        own = "ma propre phrase de passe"
        since = time.time_ns()
        started = await browser.post_form("/profile/password", {"current": doctor.password, "new": own, "again": own})
        assert started.status == 303
        done = await browser.post_form("/profile/password/code", {"code": await eventually(code, what="the SMS code")})
        assert done.status == 303 and done.headers["Location"] == "/profile?first=1&step=2"  # on to step 2
        assert "Étape 2 sur 2" in await (await browser.get(done.headers["Location"])).text()
        then = await browser.get("/documents")  # the profile, confirmed once, before anything else
        assert then.status == 303 and then.headers["Location"] == "/profile?first=1"
        confirmed = await browser.post_form(
            "/profile",
            {
                "notify_new_documents": "each",
                "patients_scope": "all",
                "documents_scope": "all",
                "landing_page": "documents",
            },
            form_page="/profile?first=1",
        )
        assert confirmed.status == 303 and confirmed.headers["Location"] == "/documents"
        landed = await browser.get("/documents")
        assert landed.status == 200 and '<div class="flash" role="status"><p class="notice">Profil enregistré.' in (
            await landed.text()
        )
        assert "Profil enregistré" not in await (await browser.get("/documents")).text()  # said once
    finally:
        await browser.close()


async def test_a_form_sent_in_german_gets_its_sms_and_emails_in_german(
    physicians: Physicians, sign_in: SignIn, web: WebClient
) -> None:
    since = time.time_ns()
    path, fields = await _validated_request(physicians, sign_in, web, language="de")
    [control] = outbox_messages(physicians.stack.outbox_dir, "sms", fields["mobile"], since)
    assert control["body"].startswith("Ärzteportal, Prüfung Ihrer Nummer: Code ")
    admin = await sign_in(await physicians.create(role="admin"))
    since = time.time_ns()
    await admin.post_form(f"{path}/login", {"login": f"favre-{uuid.uuid4().hex[:6]}"}, form_page=path)

    async def mail() -> list[dict[str, str]] | None:
        return outbox_messages(physicians.stack.outbox_dir, "email", fields["email"], since) or None

    [message] = await eventually(mail, what="the temporary password's email")
    assert "Provisorisches Passwort: " in message["body"]  # the account's language: the form's


async def test_a_temporary_password_expires_after_72_hours(
    physicians: Physicians, sign_in: SignIn, web: WebClient
) -> None:
    path, fields = await _validated_request(physicians, sign_in, web)
    admin = await sign_in(await physicians.create(role="admin"))
    login = f"rossi-{uuid.uuid4().hex[:6]}"
    since = time.time_ns()
    await admin.post_form(f"{path}/login", {"login": login}, form_page=path)

    async def mail() -> list[dict[str, str]] | None:
        return outbox_messages(physicians.stack.outbox_dir, "email", fields["email"], since) or None

    [message] = await eventually(mail, what="the temporary password's email")
    password = re.search(r"Mot de passe provisoire : (\S+)", message["body"]).group(1)  # type: ignore[union-attr]
    assert physicians.pool is not None
    async with physicians.pool.acquire() as conn:  # 72 hours and a second later
        await conn.execute(
            "UPDATE accounts SET temporary_password_expires_at = now() - interval '1 second' WHERE login = $1", login
        )
    refused = await web.post_form("/login", {"login": login, "password": password})
    assert refused.status == 401


async def test_the_registration_forms_screening_wish_becomes_an_enrolment_request(
    physicians: Physicians, sign_in: SignIn, web: WebClient
) -> None:
    admin = await sign_in(await physicians.create(role="admin"))
    slug = f"depistage-{uuid.uuid4().hex[:6]}"
    fields = {
        "name": f"Dépistage {slug[-6:]}",
        "slug": slug,
        "url": f"https://{slug}.example.ch/sso",
        "needs_enrolment": "1",
        "active": "1",
        "asked_at_registration": "1",
    }
    assert (await admin.post_form("/admin/applications", fields, form_page="/admin/applications/new")).status == 303
    path, request = await _validated_request(physicians, sign_in, web, screening=True)
    login = f"favre-{uuid.uuid4().hex[:6]}"
    assert (await admin.post_form(f"{path}/login", {"login": login}, form_page=path)).status == 303
    assert physicians.pool is not None
    state = await physicians.pool.fetchval(
        "SELECT e.state FROM application_enrolments e JOIN applications a ON a.id = e.application_id "
        "JOIN accounts p ON p.id = e.account_id WHERE a.slug = $1 AND p.login = $2",
        slug,
        login,
    )
    assert state == "requested"
    waiting = await (await admin.get("/admin/applications")).text()
    assert request["number"] in waiting and fields["name"] in waiting
