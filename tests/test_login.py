"""Password + SMS code login: codes are single use, bound to their attempt, and expire."""

from __future__ import annotations

import hashlib

import pytest

from common.contracts import identity
from common.errors import Unauthenticated

from .portal import Physicians


async def _code_login(physicians: Physicians, challenge: str, code: str) -> identity.SessionOpened:
    return await physicians.call(identity.LOG_IN_WITH_CODE, identity.CodeLogin(challenge=challenge, code=code))


async def test_right_code_opens_a_session(physicians: Physicians) -> None:
    doctor = await physicians.create()
    challenge, code = await physicians.ask_code(doctor)
    opened = await _code_login(physicians, challenge, code)
    resolved = await physicians.call(identity.RESOLVE_SESSION, identity.SessionRef(session=opened.session))
    assert resolved.account.id == doctor.account_id
    assert opened.idle_timeout_seconds == 30 * 60


async def test_wrong_password_and_unknown_login_get_the_same_answer(physicians: Physicians) -> None:
    doctor = await physicians.create()
    answers = []
    for login, password in ((doctor.login, "not-the-password"), ("nobody-" + doctor.login, doctor.password)):
        with pytest.raises(Unauthenticated) as refused:
            await physicians.call(identity.LOG_IN_WITH_PASSWORD, identity.PasswordLogin(login=login, password=password))
        answers.append(refused.value.description)
    assert answers[0] == answers[1]


async def test_wrong_code_is_refused(physicians: Physicians) -> None:
    doctor = await physicians.create()
    challenge, code = await physicians.ask_code(doctor)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with pytest.raises(Unauthenticated):
        await _code_login(physicians, challenge, wrong)
    # the right code still works after one mistake
    assert (await _code_login(physicians, challenge, code)).session


async def test_reused_code_is_refused(physicians: Physicians) -> None:
    doctor = await physicians.create()
    challenge, code = await physicians.ask_code(doctor)
    await _code_login(physicians, challenge, code)
    with pytest.raises(Unauthenticated):
        await _code_login(physicians, challenge, code)


async def test_expired_code_is_refused(physicians: Physicians) -> None:
    doctor = await physicians.create()
    challenge, code = await physicians.ask_code(doctor)
    assert physicians.pool is not None
    async with physicians.pool.acquire() as conn:  # move the attempt's clock past its expiry
        await conn.execute(
            "UPDATE login_challenges SET expires_at = now() - interval '1 second' WHERE handle_hash = $1",
            hashlib.sha256(challenge.encode()).digest(),
        )
    with pytest.raises(Unauthenticated):
        await _code_login(physicians, challenge, code)


async def test_new_code_kills_the_old_one(physicians: Physicians) -> None:
    doctor = await physicians.create()
    first_challenge, first_code = await physicians.ask_code(doctor)
    second_challenge, second_code = await physicians.ask_code(doctor)
    with pytest.raises(Unauthenticated):
        await _code_login(physicians, first_challenge, first_code)
    assert (await _code_login(physicians, second_challenge, second_code)).session


async def test_challenge_dies_after_five_wrong_codes(physicians: Physicians) -> None:
    doctor = await physicians.create()
    challenge, code = await physicians.ask_code(doctor)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            await _code_login(physicians, challenge, wrong)
    with pytest.raises(Unauthenticated):
        await _code_login(physicians, challenge, code)


async def test_idle_session_expires_and_logout_ends_it(physicians: Physicians) -> None:
    doctor = await physicians.create()
    first = await physicians.login(doctor)
    second = await physicians.login(doctor)
    assert physicians.pool is not None
    async with physicians.pool.acquire() as conn:  # 31 minutes without activity
        await conn.execute(
            "UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE secret_hash = $1",
            hashlib.sha256(first.secret.encode()).digest(),
        )
    with pytest.raises(Unauthenticated):
        await physicians.call(identity.RESOLVE_SESSION, identity.SessionRef(session=first.secret))

    await physicians.call(identity.END_SESSION, identity.SessionRef(session=second.secret))
    with pytest.raises(Unauthenticated):
        await physicians.call(identity.RESOLVE_SESSION, identity.SessionRef(session=second.secret))
