"""Changing one's mobile number: the current password, a code on the current number, then one on
the new number (it must work), a notice to the old number; only mobile numbers are accepted."""

from __future__ import annotations

import time

import pytest
from pydantic import ValidationError

from common.contracts import identity
from common.errors import Unauthenticated

from .portal import Physicians, latest_code, outbox_messages, random_mobile, sms_to


def test_only_mobile_numbers_are_accepted_and_kept_in_e164() -> None:
    start = {"current_password": "p"}
    assert identity.MobileChangeStart(**start, new_mobile="079 123 45 67").new_mobile == "+41791234567"
    assert identity.MobileChangeStart(**start, new_mobile="+33 6 12 34 56 78").new_mobile == "+33612345678"
    for wrong in ("022 372 33 11", "+41 79 123", "not a number"):  # a landline, too short, text
        with pytest.raises(ValidationError):
            identity.MobileChangeStart(**start, new_mobile=wrong)


async def test_the_code_goes_to_the_current_number_and_the_old_one_is_told(physicians: Physicians) -> None:
    doctor = await physicians.create()
    session = await physicians.login(doctor)
    new_mobile = random_mobile()

    with pytest.raises(Unauthenticated):
        await physicians.call(
            identity.START_MOBILE_CHANGE,
            identity.MobileChangeStart(current_password="not mine", new_mobile=new_mobile),
            token=session.token,
        )
    since = time.time_ns()
    started = await physicians.call(
        identity.START_MOBILE_CHANGE,
        identity.MobileChangeStart(current_password=doctor.password, new_mobile=new_mobile),
        token=session.token,
    )
    code = await physicians.sms_code(doctor.mobile, since)  # on the number still in the physician's hands
    assert not outbox_messages(physicians.stack.outbox_dir, "sms", new_mobile, since)
    second = await physicians.call(
        identity.CONFIRM_MOBILE_CHANGE,
        identity.ChangeConfirmation(challenge=started.challenge, code=code),
        token=session.token,
    )
    new_code = await physicians.sms_code(new_mobile, since)  # the new number works
    with pytest.raises(Unauthenticated):  # the first code does not confirm the second step
        await physicians.call(
            identity.VERIFY_NEW_MOBILE,
            identity.ChangeConfirmation(challenge=second.challenge, code=code if code != new_code else "000000"),
            token=session.token,
        )
    await physicians.call(
        identity.VERIFY_NEW_MOBILE,
        identity.ChangeConfirmation(challenge=second.challenge, code=new_code),
        token=session.token,
    )
    notice = await sms_to(physicians.stack.outbox_dir, doctor.mobile, since, "a été changé")
    assert "Si ce n’était pas vous" in notice["body"]

    await physicians.age_sms_codes(doctor)
    since = time.time_ns()
    await physicians.call(
        identity.LOG_IN_WITH_PASSWORD,
        identity.PasswordLogin(login=doctor.login, password=doctor.password),
    )
    assert latest_code(physicians.stack.outbox_dir, new_mobile, since) or await physicians.sms_code(new_mobile, since)
