"""Passwords (NIST SP 800-63B, ASVS 5.0): length, normalisation, no truncation, common ones
refused, argon2id parameters; and changing one's password: current password + fresh SMS code."""

from __future__ import annotations

import time

import pytest
from argon2 import extract_parameters

from common.contracts import identity
from common.errors import InvalidRequest, Unauthenticated
from services.identity.password_policy import MAX_LENGTH, MIN_LENGTH, load_common_passwords, refusal
from services.identity.passwords import Passwords

from .portal import Physician, Physicians, Session

COMMON = load_common_passwords()
PASSWORDS = Passwords()


def test_length_bounds_counted_after_normalisation() -> None:
    assert MIN_LENGTH == 12 and MAX_LENGTH >= 128
    assert refusal("a1b2c3d4e5f", COMMON) == "the password must have at least 12 characters"  # 11
    assert refusal("a1b2c3d4e5f6", COMMON) is None  # 12
    assert refusal("x" * 37 + "é" * 91, COMMON) is None  # 128, accented
    assert refusal("y" * MAX_LENGTH, COMMON) is None
    assert refusal("y" * (MAX_LENGTH + 1), COMMON) == f"the password must have at most {MAX_LENGTH} characters"
    assert refusal("\ufb01" * 6, COMMON) is None  # six "ﬁ" ligatures are twelve letters once normalised (NFKC)
    assert refusal("Ω" * 11, COMMON) is not None  # no composition rules, but still 12 characters


def test_common_passwords_and_the_accounts_own_names_are_refused_whatever_the_case() -> None:
    assert refusal("qwerty123456", COMMON) == "this password is among the most common ones"
    assert refusal("QWERTY123456", COMMON) == "this password is among the most common ones"
    assert refusal("1q2w3e4r5t6y", COMMON) == "this password is among the most common ones"
    assert (
        refusal("Dr-Rossi-Lugano", COMMON, login="dr-rossi-lugano")
        == "the password must not be the login name or the email address"
    )
    assert refusal("anna.rossi@cabinet.ch", COMMON, email="Anna.Rossi@cabinet.ch") is not None
    assert refusal("correct horse battery staple", COMMON) is None  # no composition rules
    assert len(COMMON) >= 10_000


async def test_argon2id_at_least_19_mib_and_two_passes() -> None:
    parameters = extract_parameters(await PASSWORDS.hash("correct horse battery staple"))
    assert parameters.type.name == "ID"
    assert parameters.memory_cost >= 19 * 1024 and parameters.time_cost >= 2


async def test_never_truncated_and_normalised_before_hashing() -> None:
    long = "p" * 127 + "é" + "q" * 300  # 428 characters
    stored = await PASSWORDS.hash(long)
    assert await PASSWORDS.verify(stored, long)
    assert not await PASSWORDS.verify(stored, long[:128])
    assert not await PASSWORDS.verify(stored, long[:-1] + "r")
    ligatures = await PASSWORDS.hash("\ufb01" * 8)
    assert await PASSWORDS.verify(ligatures, "fi" * 8)


async def _change(physicians: Physicians, doctor: Physician, session: Session, current: str, new: str) -> str:
    """Start the change; return the challenge handle once its SMS arrived (the code is fetched later)."""
    started = await physicians.call(
        identity.START_PASSWORD_CHANGE,
        identity.PasswordChangeStart(current_password=current, new_password=new),
        token=session.token,
    )
    return started.challenge


async def _confirm(physicians: Physicians, session: Session, challenge: str, code: str) -> None:
    await physicians.call(
        identity.FINISH_PASSWORD_CHANGE,
        identity.ChangeConfirmation(challenge=challenge, code=code),
        token=session.token,
    )


async def test_changing_the_password_needs_the_current_one_and_a_fresh_sms_code(physicians: Physicians) -> None:
    doctor = await physicians.create()
    here, elsewhere = await physicians.login(doctor), await physicians.login(doctor)
    new_password = "a longer passphrase, 2026"

    with pytest.raises(Unauthenticated):
        await _change(physicians, doctor, here, "not my password", new_password)
    with pytest.raises(InvalidRequest, match="most common"):
        await _change(physicians, doctor, here, doctor.password, "qwerty123456")
    with pytest.raises(InvalidRequest, match="at least 12"):
        await _change(physicians, doctor, here, doctor.password, "short")

    since = time.time_ns()
    challenge = await _change(physicians, doctor, here, doctor.password, new_password)
    code = await physicians.sms_code(doctor.mobile, since)
    with pytest.raises(Unauthenticated):  # a code started from one session is not the other's
        await _confirm(physicians, elsewhere, challenge, code)
    with pytest.raises(Unauthenticated):
        await _confirm(physicians, here, challenge, f"{(int(code) + 1) % 1_000_000:06d}")
    await _confirm(physicians, here, challenge, code)
    with pytest.raises(Unauthenticated):  # single use
        await _confirm(physicians, here, challenge, code)

    assert await physicians.alive(here) and not await physicians.alive(elsewhere)
    await physicians.age_sms_codes(doctor)
    with pytest.raises(Unauthenticated):
        await physicians.ask_code(doctor)  # the old password
    doctor.password = new_password
    await physicians.age_sms_codes(doctor)  # three codes went out in these seconds
    assert (await physicians.login(doctor)).token


async def test_an_unknown_login_costs_the_same_hash_as_a_known_one() -> None:
    """No timing tells whether a login name exists: an unknown one is checked against a hash made
    with the same parameters as every account's (the same argon2id work), and always fails."""
    from services.identity import passwords

    known = extract_parameters(await PASSWORDS.hash("correct horse battery staple"))
    assert extract_parameters(passwords._UNKNOWN_ACCOUNT_HASH) == known
    assert not await PASSWORDS.verify(None, "correct horse battery staple")
