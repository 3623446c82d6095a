"""A forgotten password (F5.6, issue 14): a link by email, a code by SMS, a new password chosen by
the physician alone; no enumeration, every session ended, audited. An account that logs in with
HIN is sent to HIN, a staff account to an administrator."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
import uuid
from pathlib import Path

import asyncpg
import pytest

from common.contracts import identity
from common.contracts import recovery as contract
from common.contracts.base import Empty
from common.errors import InvalidRequest, TooManyRequests, Unauthenticated
from deploy.stack import Stack
from services.identity.recovery import ANSWER_SECONDS
from services.notify import help_texts

from . import leaks
from .portal import Physician, Physicians, eventually, outbox_messages
from .test_login_protection import _refusal
from .test_login_unblocking import _lock
from .web import WebClient

NEW_PASSWORD = "une phrase que je retiendrai"
LINK = re.compile(r"(https?://\S+)/login/recover\?token=([A-Za-z0-9_-]+)")


def _email(doctor: Physician) -> str:
    return f"{doctor.login}@cabinet.example.ch"  # as tests/portal.py creates them


def _address() -> str:
    """An address of the test's own: the limits per address are not shared with other tests."""
    return f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


async def ask(physicians: Physicians, name: str, client_ip: str | None = None) -> Empty:
    asked = contract.RecoveryAsk(name=name, client_ip=client_ip or _address())
    return await physicians.call(contract.ASK_RECOVERY, asked)


async def emailed_link(outbox: Path, email: str, since_ns: int) -> tuple[str, str]:
    """The recovery link of the latest email to `email` since `since_ns`: its path and its token."""

    async def mail() -> tuple[str, str] | None:
        for message in reversed(outbox_messages(outbox, "email", email, since_ns)):
            found = LINK.search(message["body"])
            if found:
                leaks.SENSITIVE.remember(leaks.RECOVERY_TOKEN, found.group(2))
                return f"/login/recover?token={found.group(2)}", found.group(2)
        return None

    return await eventually(mail, what=f"a recovery link emailed to {email}")


async def start(physicians: Physicians, token: str, password: str = NEW_PASSWORD) -> identity.CodeChallenge:
    leaks.SENSITIVE.remember(leaks.PASSWORD, password)
    return await physicians.call(contract.START_RECOVERY, contract.RecoveryStart(token=token, new_password=password))


async def finish(physicians: Physicians, token: str, challenge: str, code: str) -> None:
    await physicians.call(
        contract.FINISH_RECOVERY, contract.RecoveryFinish(token=token, challenge=challenge, code=code)
    )


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


async def _audited(stack: Stack, account_id: str) -> list[tuple[str, str]]:
    conn = await asyncpg.connect(stack.service_dsns["audit"], server_settings={"search_path": "audit"})
    try:
        rows = await conn.fetch(
            "SELECT action, outcome FROM records WHERE entity_id = $1 AND action LIKE 'password.%' ORDER BY seq",
            account_id,
        )
    finally:
        await conn.close()
    return [(row["action"], row["outcome"]) for row in rows]


async def test_a_forgotten_password_is_renewed_with_the_link_and_the_sms_code(
    stack: Stack, physicians: Physicians
) -> None:
    """The whole path through the bus: the link, the new password, a wrong code counted, the right
    one; the old sessions end, the lock from failed logins is lifted, the old password is dead."""
    doctor = await physicians.create()
    session = await physicians.login(doctor)
    await physicians.age_sms_codes(doctor)
    await _lock(physicians, doctor)
    since = time.time_ns()
    assert await ask(physicians, doctor.login) == Empty()
    path, token = await emailed_link(stack.outbox_dir, _email(doctor), since)
    [mail] = outbox_messages(stack.outbox_dir, "email", _email(doctor), since)
    assert mail["subject"] == "Mot de passe oublié : votre lien pour en choisir un nouveau"
    assert "dans les 30 minutes" in mail["body"] and stack.config.public_url + path in mail["body"]
    assert physicians.pool is not None
    kept = await physicians.pool.fetchval(
        "SELECT token_hash FROM recovery_links WHERE account_id = $1", uuid.UUID(doctor.account_id)
    )
    assert bytes(kept) == hashlib.sha256(token.encode()).digest()  # its hash only

    await physicians.call(contract.CHECK_RECOVERY_LINK, contract.RecoveryLink(token=token))
    with pytest.raises(InvalidRequest, match="most common"):
        await start(physicians, token, "password1234")
    challenge = await start(physicians, token)
    code = await physicians.sms_code(doctor.mobile, since, challenge.challenge)
    with pytest.raises(Unauthenticated, match="invalid or expired code"):
        await finish(physicians, token, challenge.challenge, _wrong(code))
    counted = await physicians.pool.fetchrow(
        "SELECT c.attempts, l.wrong_codes FROM login_challenges c, recovery_links l "
        "WHERE c.account_id = $1 AND c.purpose = 'recovery' AND l.account_id = c.account_id",
        uuid.UUID(doctor.account_id),
    )
    assert (counted["attempts"], counted["wrong_codes"]) == (1, 1)
    await finish(physicians, token, challenge.challenge, code)

    assert not await physicians.alive(session)  # every session of the account ended
    assert await _refusal(physicians, doctor.login, doctor.password) == "401 invalid credentials"
    await physicians.age_sms_codes(doctor)
    renewed = Physician(doctor.account_id, doctor.login, NEW_PASSWORD, doctor.gln, doctor.mobile)
    assert await physicians.alive(await physicians.login(renewed))  # the lock is lifted too

    async def audited() -> list[tuple[str, str]] | None:
        found = await _audited(stack, doctor.account_id)
        return found if ("password.recovered", "success") in found else None

    assert await eventually(audited, what="the recovery's audit records") == [
        ("password.recovery_asked", "success"),
        ("password.recovered", "failure"),
        ("password.recovered", "success"),
    ]


async def test_a_used_replaced_or_expired_link_is_refused(stack: Stack, physicians: Physicians) -> None:
    doctor = await physicians.create()
    since = time.time_ns()
    await ask(physicians, doctor.login)
    _, first = await emailed_link(stack.outbox_dir, _email(doctor), since)
    since = time.time_ns()
    await ask(physicians, _email(doctor).upper())  # by email address, whatever its case
    _, second = await emailed_link(stack.outbox_dir, _email(doctor), since)
    assert first != second

    async def refused(token: str) -> Empty:
        return await physicians.call(contract.CHECK_RECOVERY_LINK, contract.RecoveryLink(token=token))

    with pytest.raises(Unauthenticated, match=re.escape(contract.LINK_DEAD)):
        await refused(first)  # replaced by the newer one
    with pytest.raises(Unauthenticated, match=re.escape(contract.LINK_DEAD)):
        await start(physicians, first)
    challenge = await start(physicians, second)
    code = await physicians.sms_code(doctor.mobile, since, challenge.challenge)
    await finish(physicians, second, challenge.challenge, code)
    with pytest.raises(Unauthenticated, match=re.escape(contract.LINK_DEAD)):
        await refused(second)  # used
    with pytest.raises(Unauthenticated, match=re.escape(contract.LINK_DEAD)):
        await finish(physicians, second, challenge.challenge, code)

    await physicians.age_sms_codes(doctor)
    since = time.time_ns()
    await ask(physicians, doctor.login)
    _, third = await emailed_link(stack.outbox_dir, _email(doctor), since)
    assert physicians.pool is not None
    await physicians.pool.execute(
        "UPDATE recovery_links SET expires_at = now() - interval '1 second' WHERE account_id = $1",
        uuid.UUID(doctor.account_id),
    )
    with pytest.raises(Unauthenticated, match=re.escape(contract.LINK_DEAD)):
        await start(physicians, third)  # expired
    with pytest.raises(Unauthenticated, match=re.escape(contract.LINK_DEAD)):
        await refused(secrets.token_urlsafe(32))  # never issued


async def test_wrong_codes_are_counted_and_close_the_link(stack: Stack, physicians: Physicians) -> None:
    doctor = await physicians.create()
    since = time.time_ns()
    await ask(physicians, doctor.login)
    _, token = await emailed_link(stack.outbox_dir, _email(doctor), since)
    challenge = await start(physicians, token)
    code = await physicians.sms_code(doctor.mobile, since, challenge.challenge)
    for _ in range(5):
        with pytest.raises(Unauthenticated, match="invalid or expired code"):
            await finish(physicians, token, challenge.challenge, _wrong(code))
    with pytest.raises(Unauthenticated, match=re.escape(contract.LINK_DEAD)):
        await finish(physicians, token, challenge.challenge, code)  # the right code comes too late
    assert await _refusal(physicians, doctor.login, doctor.password) == "ok"  # the password did not change


async def test_the_answer_says_nothing_of_the_account(stack: Stack, physicians: Physicians) -> None:
    """No enumeration: an unknown name, an unknown address and a known name get the same answer,
    after the same time; only the account's own address gets an email."""
    doctor = await physicians.create()
    since = time.time_ns()
    names = [f"nobody-{uuid.uuid4().hex[:8]}", f"nobody-{uuid.uuid4().hex[:8]}@cabinet.example.ch", doctor.login]
    for name in names:
        started = time.monotonic()
        assert await ask(physicians, name) == Empty()
        assert time.monotonic() - started >= ANSWER_SECONDS  # the same floor, whatever was found
    await emailed_link(stack.outbox_dir, _email(doctor), since)
    for name in names[:2]:
        assert outbox_messages(stack.outbox_dir, "email", name, since) == []

    # Per name (known or not) and per address: a few free, then waits.
    address = _address()
    for _ in range(2):
        await ask(physicians, names[0])
    with pytest.raises(TooManyRequests):
        await ask(physicians, names[0])
    for _ in range(5):
        await ask(physicians, f"nobody-{uuid.uuid4().hex[:8]}", address)
    with pytest.raises(TooManyRequests):
        await ask(physicians, doctor.login, address)


async def test_the_pages_say_the_same_whatever_was_typed(web: WebClient, physicians: Physicians) -> None:
    doctor = await physicians.create()
    pages = []
    for name in (doctor.login, f"nobody-{uuid.uuid4().hex[:8]}"):
        answer = await web.post_form("/login/forgot", {"name": name})
        assert answer.status == 303 and answer.headers["Location"] == "/login/forgot/sent"
        pages.append(await (await web.get("/login/forgot/sent")).text())
    assert pages[0] == pages[1]
    assert "Si cet identifiant ou cette adresse e-mail correspond à un compte" in pages[0]
    assert "dossier des indésirables" in pages[0]
    empty = await web.post_form("/login/forgot", {"name": "  "})
    assert empty.status == 400 and "Saisissez votre identifiant ou votre adresse e-mail" in await empty.text()


async def test_an_account_that_logs_in_with_hin_is_sent_to_hin(stack: Stack, physicians: Physicians) -> None:
    doctor = await physicians.create()
    assert physicians.pool is not None
    await physicians.pool.execute(
        "UPDATE accounts SET login = NULL, password_hash = NULL, mobile = NULL, hin_id = $2 WHERE id = $1",
        uuid.UUID(doctor.account_id),
        f"hin-{uuid.uuid4().hex}",
    )
    since = time.time_ns()
    await ask(physicians, _email(doctor))

    async def mail() -> list[dict] | None:
        return outbox_messages(stack.outbox_dir, "email", _email(doctor), since) or None

    [notice] = await eventually(mail, what="the HIN notice")
    assert notice["subject"] == "Mot de passe oublié : votre compte se connecte avec HIN"
    assert "« Se connecter avec HIN »" in notice["body"] and "token" not in notice["body"]
    assert not await physicians.pool.fetchval(
        "SELECT count(*) FROM recovery_links WHERE account_id = $1", uuid.UUID(doctor.account_id)
    )
    await ask(physicians, _email(doctor))  # told once a day: the second ask is counted, and sends nothing
    assert (
        await physicians.pool.fetchval(
            "SELECT failures FROM login_throttles WHERE key = $1", f"recovery:{doctor.account_id}"
        )
        == 2
    )


async def test_staff_are_sent_to_an_administrator(stack: Stack, physicians: Physicians) -> None:
    """Staff log in with an authenticator app, which a link and an SMS cannot replace: an
    administrator gives them a new temporary password."""
    staff = await physicians.create(role="admin")
    since = time.time_ns()
    await ask(physicians, staff.login)

    async def mail() -> list[dict] | None:
        return outbox_messages(stack.outbox_dir, "email", _email(staff), since) or None

    [notice] = await eventually(mail, what="the staff notice")
    assert notice["subject"] == "Mot de passe oublié : demandez-le à un administrateur"
    assert "token" not in notice["body"]
    assert physicians.pool is not None
    assert not await physicians.pool.fetchval(
        "SELECT count(*) FROM recovery_links WHERE account_id = $1", uuid.UUID(staff.account_id)
    )


async def test_the_recovery_pages(stack: Stack, web: WebClient, physicians: Physicians) -> None:
    doctor = await physicians.create()
    login_page = await (await web.get("/login")).text()
    assert '<a href="/login/forgot">Mot de passe oublié ?</a>' in login_page
    since = time.time_ns()
    assert (await web.post_form("/login/forgot", {"name": doctor.login})).status == 303
    path, token = await emailed_link(stack.outbox_dir, _email(doctor), since)

    opened = await web.get(path)  # the token leaves the address bar at once, into a cookie
    assert opened.status == 303 and opened.headers["Location"] == "/login/recover"
    form = await web.get("/login/recover")
    assert form.status == 200 and "Choisir un nouveau mot de passe" in await form.text()
    mismatch = await web.post_form("/login/recover", {"new": NEW_PASSWORD, "again": NEW_PASSWORD + "!"})
    assert mismatch.status == 400 and "Les deux nouveaux mots de passe sont différents" in await mismatch.text()
    short = await web.post_form("/login/recover", {"new": "trop court", "again": "trop court"})
    assert short.status == 400 and "au moins 12 caractères" in await short.text()
    asked = await web.post_form("/login/recover", {"new": NEW_PASSWORD, "again": NEW_PASSWORD})
    assert asked.status == 303 and asked.headers["Location"] == "/login/recover/code"
    code = await physicians.sms_code(doctor.mobile, since)
    wrong = await web.post_form("/login/recover/code", {"code": _wrong(code)})
    assert wrong.status == 401 and "Code incorrect" in await wrong.text()
    done = await web.post_form("/login/recover/code", {"code": code[:3] + " " + code[3:]})
    assert done.status == 303 and done.headers["Location"] == "/login?recovered=1"
    assert "Votre nouveau mot de passe est enregistré" in await (await web.get("/login?recovered=1")).text()

    used = await web.get(path)
    assert used.status == 303
    dead = await web.get("/login/recover")
    assert dead.status == 410 and "Ce lien n’est plus utilisable" in await dead.text()
    assert (await web.get("/login/recover/code")).headers["Location"] == "/login/recover"  # no attempt waits
    await physicians.age_sms_codes(doctor)
    await web.log_in(Physician(doctor.account_id, doctor.login, NEW_PASSWORD, doctor.gln, doctor.mobile))


@pytest.mark.unit
@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("fr", "dans les 30 minutes"),
        ("de", "innerhalb von 30 Minuten"),
        ("it", "entro 30 minuti"),
        ("en", "within 30 minutes"),
    ],
)
def test_the_link_s_email_in_each_language(language: str, words: str) -> None:
    mail = help_texts.compose(help_texts.RECOVERY_LINK, language, "https://p.example/", {"valid_minutes": 30}, "T0k")
    assert words in mail.body and "https://p.example/login/recover?token=T0k\n" in mail.body
    assert help_texts.compose(help_texts.RECOVERY_LINK, "es", "https://p", {"valid_minutes": 30}, "t").body.startswith(
        "Bonjour"
    )
    with pytest.raises(KeyError):  # never composed without its token
        help_texts.compose(help_texts.RECOVERY_LINK, language, "https://p", {"valid_minutes": 30})
