"""Guessing a name's password from elsewhere cannot block its owner (issue 12, M3).

A browser that logged in before holds a device token: its attempts are its own, and a lock
does not stop it. A browser without one can ask for an SMS code that unlocks the name.
"""

from __future__ import annotations

import time
import uuid

import pytest

from common.contracts import identity
from common.errors import TooManyRequests, Unauthenticated
from deploy.stack import Stack

from .portal import Physician, Physicians, outbox_messages, sms_to
from .test_login_protection import _refusal
from .web import WebClient

TOO_MANY = "429 too many failed attempts; try again later"


async def _log_in_for_a_device(physicians: Physicians, doctor: Physician, device: str = "") -> str:
    """A complete login (password, SMS code) from a browser; the device token it is given."""
    since = time.time_ns()
    challenge = await physicians.call(
        identity.LOG_IN_WITH_PASSWORD,
        identity.PasswordLogin(login=doctor.login, password=doctor.password, device=device),
    )
    code = await physicians.sms_code(doctor.mobile, since, challenge.challenge)
    opened = await physicians.call(
        identity.LOG_IN_WITH_CODE, identity.CodeLogin(challenge=challenge.challenge, code=code, device=device)
    )
    assert opened.device
    return opened.device


async def _password_with(physicians: Physicians, doctor: Physician, password: str, device: str) -> str:
    try:
        await physicians.call(
            identity.LOG_IN_WITH_PASSWORD,
            identity.PasswordLogin(login=doctor.login, password=password, device=device),
        )
    except Unauthenticated as refused:
        return f"401 {refused.description}"
    except TooManyRequests as refused:
        return f"429 {refused.description}"
    return "ok"


async def _lock(physicians: Physicians, doctor: Physician) -> None:
    """The 100th failure from elsewhere: the account locks, and the name waits."""
    assert physicians.pool is not None
    await physicians.pool.execute("UPDATE accounts SET failed_logins = 99 WHERE id = $1", uuid.UUID(doctor.account_id))
    for _ in range(6):
        await _refusal(physicians, doctor.login, "wrong password!")
    assert await physicians.pool.fetchval(
        "SELECT locked_at IS NOT NULL FROM accounts WHERE id = $1", uuid.UUID(doctor.account_id)
    )
    assert await _refusal(physicians, doctor.login, doctor.password) == TOO_MANY


async def test_a_known_browser_logs_in_while_guesses_from_elsewhere_block_the_name(physicians: Physicians) -> None:
    doctor = await physicians.create()
    device = await _log_in_for_a_device(physicians, doctor)
    await physicians.age_sms_codes(doctor)
    await _lock(physicians, doctor)

    # The owner's browser: not blocked, not locked out; the login lifts the lock (audited).
    assert await _password_with(physicians, doctor, doctor.password, device) == "ok"
    await physicians.age_sms_codes(doctor)
    renewed = await _log_in_for_a_device(physicians, doctor, device)
    assert renewed != device
    assert physicians.pool is not None
    row = await physicians.pool.fetchrow(
        "SELECT locked_at, failed_logins FROM accounts WHERE id = $1", uuid.UUID(doctor.account_id)
    )
    assert row["locked_at"] is None and row["failed_logins"] == 0


async def test_a_device_token_is_bound_to_its_name_and_its_own_failures_wait(physicians: Physicians) -> None:
    owner, other = await physicians.create(), await physicians.create()
    device = await _log_in_for_a_device(physicians, owner)
    for _ in range(6):
        await _refusal(physicians, other.login, "wrong password!")
    # Another name's token, or a forged one, is no token: the other name still waits.
    for token in (device, device[:-4] + "0000", "x" * 100):
        assert await _password_with(physicians, other, other.password, token) == TOO_MANY
    # A stolen token still guesses slowly: its own failures wait like a name's, and lock nothing.
    answers = [await _password_with(physicians, owner, "wrong password!", device) for _ in range(6)]
    assert answers == ["401 invalid credentials"] * 5 + [TOO_MANY]
    assert physicians.pool is not None
    assert (
        await physicians.pool.fetchval("SELECT failed_logins FROM accounts WHERE id = $1", uuid.UUID(owner.account_id))
        == 0
    )
    assert await _refusal(physicians, owner.login, owner.password) == "ok"  # the name itself was not touched


async def _ask_unlock(physicians: Physicians, login: str) -> identity.CodeChallenge:
    return await physicians.call(identity.ASK_UNLOCK, identity.UnlockAsk(login=login, client_ip="203.0.113.77"))


async def test_the_owner_unlocks_a_blocked_name_with_an_sms_code(stack: Stack, physicians: Physicians) -> None:
    doctor = await physicians.create()
    await _lock(physicians, doctor)
    since = time.time_ns()
    challenge = await _ask_unlock(physicians, doctor.login)
    sms = await sms_to(stack.outbox_dir, doctor.mobile, since, containing="débloquer")
    code = next(word.strip(".") for word in sms["body"].split() if word.strip(".").isdigit())

    with pytest.raises(Unauthenticated):
        wrong = "000000" if code != "000000" else "111111"
        await physicians.call(identity.UNLOCK_WITH_CODE, identity.UnlockCode(challenge=challenge.challenge, code=wrong))
    await physicians.call(identity.UNLOCK_WITH_CODE, identity.UnlockCode(challenge=challenge.challenge, code=code))
    assert await _refusal(physicians, doctor.login, doctor.password) == "ok"
    assert physicians.pool is not None
    assert await physicians.pool.fetchval(
        "SELECT locked_at IS NULL FROM accounts WHERE id = $1", uuid.UUID(doctor.account_id)
    )
    with pytest.raises(Unauthenticated):  # single use
        await physicians.call(identity.UNLOCK_WITH_CODE, identity.UnlockCode(challenge=challenge.challenge, code=code))


async def test_asking_to_unlock_says_nothing_of_the_name(stack: Stack, physicians: Physicians) -> None:
    """Unknown, not blocked, blocked: the same answer; only the blocked one's mobile gets a code."""
    free, blocked = await physicians.create(), await physicians.create()
    await _lock(physicians, blocked)
    since = time.time_ns()
    answers = [
        await _ask_unlock(physicians, name) for name in (f"nobody-{uuid.uuid4().hex[:8]}", free.login, blocked.login)
    ]
    assert {(len(a.challenge), a.method, a.enrolment_uri) for a in answers} == {(43, "sms", None)}
    await sms_to(stack.outbox_dir, blocked.mobile, since, containing="débloquer")
    assert outbox_messages(stack.outbox_dir, "sms", free.mobile, since) == []
    with pytest.raises(Unauthenticated):  # a handle that leads nowhere
        await physicians.call(
            identity.UNLOCK_WITH_CODE, identity.UnlockCode(challenge=answers[0].challenge, code="123456")
        )


async def test_the_unlocking_pages(stack: Stack, web: WebClient, physicians: Physicians) -> None:
    doctor = await physicians.create()
    await _lock(physicians, doctor)
    page = await web.get("/login/unlock/code")
    assert page.status == 303 and page.headers["Location"] == "/login/unlock"  # no attempt yet
    since = time.time_ns()
    asked = await web.post_form("/login/unlock", {"login": doctor.login})
    assert asked.status == 303 and asked.headers["Location"] == "/login/unlock/code"
    sms = await sms_to(stack.outbox_dir, doctor.mobile, since, containing="débloquer")
    code = next(word.strip(".") for word in sms["body"].split() if word.strip(".").isdigit())
    wrong = await web.post_form("/login/unlock/code", {"code": "000000" if code != "000000" else "111111"})
    assert wrong.status == 401 and "Code incorrect" in await wrong.text()
    done = await web.post_form("/login/unlock/code", {"code": code})
    assert done.status == 303 and done.headers["Location"] == "/login?unlocked=1"
    page = await web.get("/login?unlocked=1")
    assert "Votre connexion est débloquée" in await page.text()
    await web.log_in(doctor)
    assert any(cookie.key == "portal_device" for cookie in web.session.cookie_jar)
