"""Administrators' work on accounts: search, deactivate (every session ends), reactivate, unlock.
Administrators only; to anyone else the accounts do not exist."""

from __future__ import annotations

import re
import time
import uuid

import pytest

from common.contracts import accounts, identity
from common.errors import Conflict, NotFound, Unauthenticated

from .portal import Physician, Physicians, emailed_password, eventually, outbox_messages, random_mobile
from .web import SignIn


async def test_an_administrator_finds_deactivates_reactivates_and_unlocks(physicians: Physicians) -> None:
    admin = await physicians.create(role="admin")
    session = (await physicians.login(admin)).token
    doctor = await physicians.create()
    doctor_session = await physicians.login(doctor)

    found = await physicians.call(
        accounts.SEARCH_ACCOUNTS, accounts.AccountSearch(text=doctor.login.upper()), token=session
    )
    assert [item.id for item in found.items] == [doctor.account_id] and found.total == 1
    by_number = await physicians.call(accounts.SEARCH_ACCOUNTS, accounts.AccountSearch(text=doctor.gln), token=session)
    assert [item.number for item in by_number.items] == [f"gln:{doctor.gln}"]
    wildcard = await physicians.call(accounts.SEARCH_ACCOUNTS, accounts.AccountSearch(text="%"), token=session)
    assert wildcard.total == 0  # typed text, not a pattern

    off = await physicians.call(
        accounts.SET_ACCOUNT_STATUS,
        accounts.AccountStatus(id=doctor.account_id, active=False),
        token=session,
    )
    assert off.status == "deactivated" and not await physicians.alive(doctor_session)  # every session ended at once
    with pytest.raises(Conflict):
        await physicians.call(
            accounts.SET_ACCOUNT_STATUS,
            accounts.AccountStatus(id=admin.account_id, active=False),
            token=session,
        )
    on = await physicians.call(
        accounts.SET_ACCOUNT_STATUS,
        accounts.AccountStatus(id=doctor.account_id, active=True),
        token=session,
    )
    assert on.status == "active"

    assert physicians.pool is not None
    async with physicians.pool.acquire() as conn:
        await conn.execute(
            "UPDATE accounts SET locked_at = now(), failed_logins = 100 WHERE id = $1", uuid.UUID(doctor.account_id)
        )
    locked = await physicians.call(
        accounts.SEARCH_ACCOUNTS,
        accounts.AccountSearch(locked_only=True, text=doctor.login),
        token=session,
    )
    assert [item.locked for item in locked.items] == [True]
    unlocked = await physicians.call(accounts.UNLOCK_ACCOUNT, accounts.AccountRef(id=doctor.account_id), token=session)
    assert not unlocked.locked
    await physicians.age_sms_codes(doctor)
    assert (await physicians.login(doctor)).token


async def test_no_one_but_an_administrator_reaches_accounts(physicians: Physicians) -> None:
    validator, doctor = await physicians.create(role="validator"), await physicians.create()
    for someone in (validator, doctor):
        session = (await physicians.login(someone)).token
        with pytest.raises(NotFound):
            await physicians.call(accounts.SEARCH_ACCOUNTS, accounts.AccountSearch(), token=session)
        with pytest.raises(NotFound):
            await physicians.call(accounts.UNLOCK_ACCOUNT, accounts.AccountRef(id=doctor.account_id), token=session)


async def test_the_accounts_page(physicians: Physicians, sign_in: SignIn) -> None:
    admin = await sign_in(await physicians.create(role="admin"))
    doctor = await physicians.create()
    doctor_session = await physicians.login(doctor)
    page = await admin.get(f"/admin/accounts?text={doctor.login}")
    text = await page.text()
    assert page.status == 200 and doctor.login in text and "Comptes" in text
    listing = f"/admin/accounts?text={doctor.login}"
    asked = await admin.post_form(f"/admin/accounts/{doctor.account_id}/deactivate", {"next": listing}, listing)
    text = await asked.text()  # a confirmation first, which changes nothing
    assert asked.status == 200 and "Désactiver ce compte ?" in text and f'href="{listing}"' in text
    assert "actif" in await (await admin.get(listing)).text() and await physicians.alive(doctor_session)
    off = await admin.post_form(f"/admin/accounts/{doctor.account_id}/deactivate", {"confirm": "1"}, listing)
    assert off.status == 303 and not await physicians.alive(doctor_session)
    assert "désactivé" in await (await admin.get(f"/admin/accounts?text={doctor.login}")).text()
    physician = await sign_in(await physicians.create())
    assert (await physician.get("/admin/accounts")).status == 403


async def test_a_new_temporary_password_by_email_ends_the_sessions(physicians: Physicians, sign_in: SignIn) -> None:
    admin = await sign_in(await physicians.create(role="admin"))
    doctor = await physicians.create()
    session = await physicians.login(doctor)
    since = time.time_ns()
    reset = await admin.post_form(
        f"/admin/accounts/{doctor.account_id}/reset-password",
        {"next": f"/admin/accounts?text={doctor.login}", "confirm": "1"},
        form_page=f"/admin/accounts?text={doctor.login}",
    )
    assert reset.status == 303 and reset.headers["Location"] == f"/admin/accounts?text={doctor.login}"
    assert not await physicians.alive(session)

    async def mail() -> list[dict[str, str]] | None:
        return (
            outbox_messages(physicians.stack.outbox_dir, "email", f"{doctor.login}@cabinet.example.ch", since) or None
        )

    [message] = await eventually(mail, what="the temporary password's email")
    temporary = re.search(r"Mot de passe provisoire : (\S+)", message["body"])
    assert temporary is not None and doctor.password not in message["body"]
    doctor.password = temporary.group(1)
    await physicians.age_sms_codes(doctor)
    fresh = await physicians.login(doctor)
    resolved = await physicians.call(identity.RESOLVE_SESSION, identity.SessionRef(session=fresh.secret))
    assert resolved.account.must_change_password


async def test_an_administrator_changes_a_mobile_number_with_a_control_sms(
    physicians: Physicians, sign_in: SignIn
) -> None:
    admin = await sign_in(await physicians.create(role="admin"))
    doctor = await physicians.create()
    listing = f"/admin/accounts?text={doctor.login}"
    landline = await admin.post_form(
        f"/admin/accounts/{doctor.account_id}/mobile", {"mobile": "022 372 33 11", "next": listing}, form_page=listing
    )
    assert landline.status == 303 and "problem=mobile" in landline.headers["Location"]
    new_mobile = random_mobile()
    since = time.time_ns()
    sent = await admin.post_form(
        f"/admin/accounts/{doctor.account_id}/mobile", {"mobile": new_mobile, "next": listing}, form_page=listing
    )
    assert sent.status == 303
    code = await physicians.sms_code(new_mobile, since)
    wrong = await admin.post_form(
        f"/admin/accounts/{doctor.account_id}/mobile/confirm",
        {"code": f"{(int(code) + 1) % 1_000_000:06d}", "next": listing},
        form_page=listing,
    )
    assert "problem=code" in wrong.headers["Location"]
    done = await admin.post_form(
        f"/admin/accounts/{doctor.account_id}/mobile/confirm", {"code": code, "next": listing}, form_page=listing
    )
    assert done.status == 303 and done.headers["Location"] == listing
    doctor.mobile = new_mobile
    await physicians.age_sms_codes(doctor)
    assert (await physicians.login(doctor)).token  # the login's code now goes to the new number


async def test_a_staff_member_who_lost_the_app_enrols_a_new_one(physicians: Physicians, sign_in: SignIn) -> None:
    """With a temporary password sent by email: the old password alone (stolen with the app,
    perhaps) enrols nothing."""
    admin = await sign_in(await physicians.create(role="admin"))
    staff = await physicians.create(role="validator")
    session = await physicians.login(staff)  # enrols the app
    listing = f"/admin/accounts?text={staff.login}"
    assert "Oublier l’application d’authentification" in await (await admin.get(listing)).text()
    since = time.time_ns()
    path = f"/admin/accounts/{staff.account_id}/reset-app"
    asked = await admin.post_form(path, {"next": listing}, form_page=listing)
    assert asked.status == 200 and await physicians.alive(session)  # nothing before the confirmation
    done = await admin.post_form(path, {"next": listing, "confirm": "1"}, form_page=listing)
    assert done.status == 303 and not await physicians.alive(session)
    with pytest.raises(Unauthenticated):
        await physicians.call(
            identity.LOG_IN_WITH_PASSWORD,
            identity.PasswordLogin(login=staff.login, password=staff.password),
        )
    staff.password = await emailed_password(physicians.stack.outbox_dir, f"{staff.login}@cabinet.example.ch", since)
    challenge = await physicians.call(
        identity.LOG_IN_WITH_PASSWORD,
        identity.PasswordLogin(login=staff.login, password=staff.password),
    )
    assert challenge.method == "app_enrolment" and challenge.enrolment_uri  # a new app, a new secret


async def test_an_administrator_creates_a_staff_login_enrolled_and_changed_at_its_first_login(
    physicians: Physicians, sign_in: SignIn
) -> None:
    admin = await sign_in(await physicians.create(role="admin"))
    login, mobile = f"val-{uuid.uuid4().hex[:8]}", random_mobile()
    email = f"{login}@hopital.example.ch"
    bad = {
        "login": "X",
        "role": "physician",
        "family_name": "",
        "given_name": "Léa",
        "email": "nope",
        "mobile": "022 321 45 67",
    }
    refused = await admin.post_form("/admin/accounts/new", bad, form_page="/admin/accounts/new")
    page = await refused.text()
    assert refused.status == 400 and page.count('aria-invalid="true"') == 4 and 'value="Léa"' in page
    fields = {
        "login": login,
        "role": "validator",
        "family_name": "Rochat",
        "given_name": "Léa",
        "email": email,
        "mobile": mobile,
    }
    since = time.time_ns()
    created = await admin.post_form("/admin/accounts/new", fields, form_page="/admin/accounts/new")
    assert created.status == 303 and created.headers["Location"] == f"/admin/accounts?text={login}"
    taken = await admin.post_form(
        "/admin/accounts/new", {**fields, "email": "autre@hopital.example.ch"}, form_page="/admin/accounts/new"
    )
    assert taken.status == 409 and "déjà pris" in await taken.text()

    password = await emailed_password(physicians.stack.outbox_dir, email, since)
    staff = Physician(account_id="", login=login, password=password, gln="", mobile=mobile)
    session = await physicians.login(staff)  # the app is enrolled with the emailed password
    assert staff.app_secret
    resolved = await physicians.call(identity.RESOLVE_SESSION, identity.SessionRef(session=session.secret))
    assert resolved.account.role == "validator" and resolved.account.must_change_password

    since = time.time_ns()
    new_password = "une phrase de passe toute neuve"
    started = await physicians.call(
        identity.START_PASSWORD_CHANGE,
        identity.PasswordChangeStart(current_password=password, new_password=new_password),
        token=session.token,
    )
    code = await physicians.sms_code(mobile, since)
    await physicians.call(
        identity.FINISH_PASSWORD_CHANGE,
        identity.ChangeConfirmation(challenge=started.challenge, code=code),
        token=session.token,
    )
    resolved = await physicians.call(identity.RESOLVE_SESSION, identity.SessionRef(session=session.secret))
    assert not resolved.account.must_change_password
