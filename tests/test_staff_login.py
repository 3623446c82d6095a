"""Hospital staff log in with password + a code from an authenticator app (TOTP), enrolled by
QR code at their first login; codes are single use, within one 30-second step of drift."""

from __future__ import annotations

import time
import uuid

import pyotp
import pytest

from common.contracts import identity
from common.errors import Unauthenticated

from .portal import Physician, Physicians


async def _password(physicians: Physicians, staff: Physician) -> identity.CodeChallenge:
    return await physicians.call(
        identity.LOG_IN_WITH_PASSWORD,
        identity.PasswordLogin(login=staff.login, password=staff.password),
    )


async def _code(physicians: Physicians, challenge: str, code: str) -> identity.SessionOpened:
    return await physicians.call(identity.LOG_IN_WITH_CODE, identity.CodeLogin(challenge=challenge, code=code))


def _other(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.mark.parametrize("role", ["admin", "validator", "service_staff"])
async def test_first_login_enrols_the_app_then_each_login_asks_its_code(physicians: Physicians, role: str) -> None:
    staff = await physicians.create(role=role)
    first = await _password(physicians, staff)
    assert first.method == "app_enrolment" and first.enrolment_uri is not None
    totp = pyotp.parse_uri(first.enrolment_uri)
    assert first.enrolment_uri.startswith("otpauth://totp/") and "issuer=Portail" in first.enrolment_uri
    assert len(totp.secret) == 32  # 160 bits
    step = int(time.time() // 30)
    assert (await _code(physicians, first.challenge, totp.at(step * 30))).session

    assert physicians.pool is not None
    async with physicians.pool.acquire() as conn:
        sealed = await conn.fetchval("SELECT totp_secret FROM accounts WHERE id = $1", uuid.UUID(staff.account_id))
    assert sealed and totp.secret.encode() not in bytes(sealed)  # sealed at rest

    again = await _password(physicians, staff)
    assert again.method == "app" and again.enrolment_uri is None
    with pytest.raises(Unauthenticated):  # the code of the step just used: no replay
        await _code(physicians, again.challenge, totp.at(step * 30))
    assert (await _code(physicians, again.challenge, totp.at((step + 1) * 30))).session  # drift of one step


async def test_codes_too_old_or_wrong_five_times_are_refused(physicians: Physicians) -> None:
    staff = await physicians.create(role="admin")
    enrolment = await _password(physicians, staff)
    assert enrolment.enrolment_uri
    totp = pyotp.parse_uri(enrolment.enrolment_uri)
    step = int(time.time() // 30)
    with pytest.raises(Unauthenticated):
        await _code(physicians, enrolment.challenge, totp.at((step - 2) * 30))  # a minute old
    await _code(physicians, enrolment.challenge, totp.at(step * 30))

    attempt = await _password(physicians, staff)
    good = totp.at((step + 1) * 30)
    for wrong in (_other(good), "abcdé1", _other(good), "１２３４５６", _other(good)):  # not digits: just wrong
        with pytest.raises(Unauthenticated):
            await _code(physicians, attempt.challenge, wrong)
    with pytest.raises(Unauthenticated):  # the attempt died
        await _code(physicians, attempt.challenge, good)


async def test_staff_log_in_without_a_mobile_number_and_no_sms_is_sent(physicians: Physicians) -> None:
    staff = await physicians.create(role="validator")
    assert physicians.pool is not None
    async with physicians.pool.acquire() as conn:
        await conn.execute("UPDATE accounts SET mobile = NULL WHERE id = $1", uuid.UUID(staff.account_id))
    enrolment = await _password(physicians, staff)
    assert enrolment.enrolment_uri
    totp = pyotp.parse_uri(enrolment.enrolment_uri)
    code = totp.at(int(time.time() // 30) * 30)
    await _code(physicians, enrolment.challenge, code)
    for _ in range(4):  # more logins than SMS codes allowed in 15 minutes: no SMS is involved
        async with physicians.pool.acquire() as conn:  # as if the last code had been used long ago
            await conn.execute("UPDATE accounts SET totp_last_step = 0 WHERE id = $1", uuid.UUID(staff.account_id))
        assert (await _code(physicians, (await _password(physicians, staff)).challenge, code)).session
