"""Password guessing is slowed per login name and per address, an account locks after 100
consecutive failures, and at most 3 SMS codes go to an account in 15 minutes.

Time is moved by rewriting the recorded moments, never waited for.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import os
import uuid
from datetime import timedelta

import pytest

from common.contracts import identity
from common.errors import TooManyRequests, Unauthenticated
from services.identity import login_protection as protection

from .portal import Physician, Physicians, eventually


async def _password(physicians: Physicians, login: str, password: str, client_ip: str = "") -> identity.CodeChallenge:
    return await physicians.call(
        identity.LOG_IN_WITH_PASSWORD,
        identity.PasswordLogin(login=login, password=password, client_ip=client_ip),
    )


async def _refusal(physicians: Physicians, login: str, password: str, client_ip: str = "") -> str:
    """The kind of refusal identity answers ('ok' if it sent a code)."""
    try:
        await _password(physicians, login, password, client_ip)
    except Unauthenticated as refused:
        return f"401 {refused.description}"
    except TooManyRequests as refused:
        return f"429 {refused.description}"
    return "ok"


def _name_key(physicians: Physicians, login: str) -> str:
    """The throttle's key of a login name, keyed as identity keys it."""
    assert physicians.stack.secrets is not None
    return protection.name_key(login, base64.b64decode(physicians.stack.secrets.identity_data_key))


async def _log_in_fully(physicians: Physicians, doctor: Physician) -> None:
    """Password and SMS code: a complete login, which restarts the counts."""
    assert (await physicians.login(doctor)).token


async def _end_the_wait(physicians: Physicians, key: str) -> None:
    assert physicians.pool is not None
    async with physicians.pool.acquire() as conn:
        await conn.execute("UPDATE login_throttles SET not_before = now() - interval '1 second' WHERE key = $1", key)


def test_the_wait_grows_after_the_free_failures_up_to_15_minutes() -> None:
    waits = [protection.wait_after(n, free=5) for n in range(1, 20)]
    assert waits[:4] == [timedelta(0)] * 4  # failures 1-4
    assert waits[4:8] == [timedelta(seconds=s) for s in (1, 2, 4, 8)]  # failures 5-8
    assert all(later >= earlier for earlier, later in itertools.pairwise(waits))
    assert protection.wait_after(40, free=5) == timedelta(minutes=15)


async def test_a_known_and_an_unknown_name_get_the_same_answers_and_waits(physicians: Physicians) -> None:
    doctor = await physicians.create()
    unknown = f"nobody-{uuid.uuid4().hex[:8]}"
    for name in (doctor.login, unknown):
        answers = [await _refusal(physicians, name, "wrong password!") for _ in range(6)]
        assert answers == ["401 invalid credentials"] * 5 + ["429 too many failed attempts; try again later"]
    # waiting, even the right password is not looked at
    assert await _refusal(physicians, doctor.login, doctor.password) == "429 too many failed attempts; try again later"
    await _end_the_wait(physicians, _name_key(physicians, doctor.login))
    assert await _refusal(physicians, doctor.login, doctor.password) == "ok"
    await _end_the_wait(physicians, _name_key(physicians, doctor.login))
    await physicians.age_sms_codes(doctor)
    await _log_in_fully(physicians, doctor)
    # a complete login started the name's count again
    assert [await _refusal(physicians, doctor.login, "wrong password!") for _ in range(5)] == [
        "401 invalid credentials"
    ] * 5


async def test_an_address_guessing_many_names_waits(physicians: Physicians) -> None:
    address = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    answers = [
        await _refusal(physicians, f"guess-{uuid.uuid4().hex[:8]}", "wrong password!", address) for _ in range(21)
    ]
    assert answers == ["401 invalid credentials"] * 20 + ["429 too many failed attempts; try again later"]
    doctor = await physicians.create()
    assert (
        await _refusal(physicians, doctor.login, doctor.password, address)
        == "429 too many failed attempts; try again later"
    )
    assert await _refusal(physicians, doctor.login, doctor.password, "192.0.2.1") == "ok"  # another address
    await _end_the_wait(physicians, f"address:{address}")
    assert await _refusal(physicians, doctor.login, doctor.password, address) == "ok"


async def test_logins_at_the_same_moment_from_one_address_are_all_counted_and_none_refused(
    physicians: Physicians,
) -> None:
    """Ten people behind one address logging in at once, within the address's free attempts: each
    attempt used to read the time before waiting for the one ahead, and saw the wait that one had
    just set (now, when free) as still to come: a 429 for a valid login."""
    address = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    doctors = [await physicians.create() for _ in range(10)]
    answers = await asyncio.gather(*(_refusal(physicians, d.login, d.password, address) for d in doctors))
    assert answers == ["ok"] * 10


async def test_a_loopback_address_is_limited_like_any_other(physicians: Physicians) -> None:
    """Only the gateway knows whether a peer is one of our proxies (it then sends no address):
    identity used to skip every loopback address, so a browser on the gateway's machine (or behind
    an untrusted local proxy) was never slowed down per address."""
    address = f"127.0.{uuid.uuid4().int % 250 + 1}.{uuid.uuid4().int % 250 + 1}"
    answers = [
        await _refusal(physicians, f"guess-{uuid.uuid4().hex[:8]}", "wrong password!", address) for _ in range(21)
    ]
    assert answers == ["401 invalid credentials"] * 20 + ["429 too many failed attempts; try again later"]


async def test_the_100th_consecutive_failure_locks_the_account_until_unlocked(physicians: Physicians) -> None:
    doctor = await physicians.create()
    assert physicians.pool is not None
    async with physicians.pool.acquire() as conn:  # 99 failures over the last days
        await conn.execute("UPDATE accounts SET failed_logins = 99 WHERE id = $1", uuid.UUID(doctor.account_id))
    assert await _refusal(physicians, doctor.login, "wrong password!") == "401 invalid credentials"
    async with physicians.pool.acquire() as conn:
        assert await conn.fetchval(
            "SELECT locked_at IS NOT NULL FROM accounts WHERE id = $1", uuid.UUID(doctor.account_id)
        )
    # locked: the right password gets the answer of a wrong one
    assert await _refusal(physicians, doctor.login, doctor.password) == "401 invalid credentials"
    async with physicians.pool.acquire() as conn:
        await conn.execute(
            "UPDATE accounts SET locked_at = NULL, failed_logins = 0 WHERE id = $1", uuid.UUID(doctor.account_id)
        )
    await _end_the_wait(physicians, _name_key(physicians, doctor.login))
    assert await _refusal(physicians, doctor.login, doctor.password) == "ok"


async def test_an_account_that_keeps_failing_under_99_does_not_lock(physicians: Physicians) -> None:
    doctor = await physicians.create()
    assert physicians.pool is not None
    async with physicians.pool.acquire() as conn:
        await conn.execute("UPDATE accounts SET failed_logins = 98 WHERE id = $1", uuid.UUID(doctor.account_id))
    assert await _refusal(physicians, doctor.login, "wrong password!") == "401 invalid credentials"
    await _log_in_fully(physicians, doctor)  # the 99th failure was not the 100th
    async with physicians.pool.acquire() as conn:
        assert (
            await conn.fetchval("SELECT failed_logins FROM accounts WHERE id = $1", uuid.UUID(doctor.account_id)) == 0
        )


async def test_at_most_three_sms_codes_in_15_minutes(physicians: Physicians) -> None:
    doctor: Physician = await physicians.create()
    for _ in range(3):
        await physicians.ask_code(doctor)
    assert await _refusal(physicians, doctor.login, doctor.password) == "429 too many codes asked; try again later"
    assert physicians.pool is not None
    async with physicians.pool.acquire() as conn:  # the first code was asked 15 minutes ago
        await conn.execute(
            "UPDATE login_challenges SET created_at = created_at - interval '15 minutes' WHERE created_at = "
            "(SELECT min(created_at) FROM login_challenges WHERE account_id = $1)",
            uuid.UUID(doctor.account_id),
        )
    challenge, code = await physicians.ask_code(doctor)
    opened = await physicians.call(identity.LOG_IN_WITH_CODE, identity.CodeLogin(challenge=challenge, code=code))
    assert opened.session
    assert hashlib.sha256(opened.session.encode()).digest()  # a session, as usual


async def test_wrong_second_factor_codes_count_towards_the_lock(physicians: Physicians) -> None:
    doctor = await physicians.create()
    assert physicians.pool is not None
    async with physicians.pool.acquire() as conn:
        await conn.execute("UPDATE accounts SET failed_logins = 99 WHERE id = $1", uuid.UUID(doctor.account_id))
    challenge, code = await physicians.ask_code(doctor)  # the right password does not restart the count...
    with pytest.raises(Unauthenticated):
        await physicians.call(
            identity.LOG_IN_WITH_CODE,
            identity.CodeLogin(challenge=challenge, code=f"{(int(code) + 1) % 1_000_000:06d}"),
        )
    async with physicians.pool.acquire() as conn:  # ...and a wrong code is the 100th failure
        assert await conn.fetchval(
            "SELECT locked_at IS NOT NULL FROM accounts WHERE id = $1", uuid.UUID(doctor.account_id)
        )


async def test_staff_get_five_app_attempts_in_15_minutes(physicians: Physicians) -> None:
    staff = await physicians.create(role="admin")
    assert [await _refusal(physicians, staff.login, staff.password) for _ in range(5)] == ["ok"] * 5
    await _end_the_wait(physicians, _name_key(physicians, staff.login))  # the name's own wait aside
    assert await _refusal(physicians, staff.login, staff.password) == "429 too many attempts; try again later"


async def test_identity_forgets_idle_throttles_and_long_expired_attempts(physicians: Physicians) -> None:
    assert physicians.pool is not None
    doctor = await physicians.create()
    old, fresh = f"address:198.51.100.{uuid.uuid4().int % 250}", f"address:198.51.101.{uuid.uuid4().int % 250}"
    challenge, state = os.urandom(32), os.urandom(32)
    async with physicians.pool.acquire() as conn:  # two days ago, as the test moves the clock
        await conn.execute(
            "INSERT INTO login_throttles (key, failures, last_failure_at, not_before) VALUES "
            "($1, 7, now() - interval '2 days', now() - interval '2 days'), ($2, 7, now(), now() + interval '1 minute') "
            "ON CONFLICT (key) DO NOTHING",
            old,
            fresh,
        )
        await conn.execute(
            "INSERT INTO login_challenges (handle_hash, account_id, code_mac, created_at, expires_at, purpose, pending) "
            "VALUES ($1, $2, $3, now() - interval '2 days', now() - interval '2 days', 'password', 'a new hash waited here')",
            challenge,
            uuid.UUID(doctor.account_id),
            b"\0" * 32,
        )
        await conn.execute(
            "INSERT INTO hin_attempts (state_hash, browser_hash, code_verifier, expires_at) "
            "VALUES ($1, $1, 'verifier', now() - interval '2 hours')",
            state,
        )

    async def forgotten() -> bool | None:
        assert physicians.pool is not None
        left = await physicians.pool.fetchval(
            "SELECT (SELECT count(*) FROM login_throttles WHERE key = $1) + "
            "(SELECT count(*) FROM login_challenges WHERE handle_hash = $2) + "
            "(SELECT count(*) FROM hin_attempts WHERE state_hash = $3)",
            old,
            challenge,
            state,
        )
        return True if left == 0 else None

    assert await eventually(forgotten, what="the housekeeping pass")
    assert await physicians.pool.fetchval("SELECT failures FROM login_throttles WHERE key = $1", fresh) == 7
