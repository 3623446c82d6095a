"""The SMS code's page (issue 15): the number it went to, masked to its last two digits, how long
the code is valid (the configured time), and "Renvoyer le code" within the limit of 3 SMS in 15
minutes; past it, the page says when another may be asked for."""

from __future__ import annotations

import re
import time

import pytest

from common.contracts.phones import masked_mobile

from .portal import Physicians, eventually, outbox_messages
from .web import WebClient


def _code(body: str) -> str:
    found = re.search(r"\b(\d{6})\b", body)
    assert found is not None
    return found.group(1)


@pytest.mark.unit
def test_a_mobile_number_is_masked_but_its_last_two_digits() -> None:
    assert masked_mobile("+41791234567") == "+41 79 ••• •• 67"
    assert masked_mobile("+33612345678") == "+33 6 •• •• •• 78"
    assert masked_mobile("not a number") == ""


async def test_the_code_page_says_where_and_how_long_and_resends_within_the_limit(
    web: WebClient, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    outbox = physicians.stack.outbox_dir
    since = time.time_ns()

    async def sms_count(count: int) -> list[str] | None:
        bodies = [message["body"] for message in outbox_messages(outbox, "sms", doctor.mobile, since)]
        return bodies if len(bodies) >= count else None

    step = await web.post_form("/login", {"login": doctor.login, "password": doctor.password})
    assert step.status == 303 and step.headers["Location"] == "/login/code"
    await eventually(lambda: sms_count(1), what="the first SMS")
    page = await (await web.get("/login/code")).text()
    assert f"Nous l’avons envoyé au {masked_mobile(doctor.mobile)} ; il est valable 5 minutes." in page
    assert doctor.mobile not in page
    assert "Renvoyer le code" in page

    resent = await web.post_form("/login/code/resend", {}, form_page="/login/code")
    assert resent.status == 303 and resent.headers["Location"] == "/login/code?resent=1"
    first = _code(next(iter(await eventually(lambda: sms_count(2), what="the second SMS"))))
    assert "Un nouveau code a été envoyé" in await (await web.get("/login/code?resent=1")).text()

    assert (await web.post_form("/login/code/resend", {}, form_page="/login/code")).status == 303
    third = await eventually(lambda: sms_count(3), what="the third SMS")
    limited = await (await web.get("/login/code")).text()  # 3 SMS in 15 minutes: no more for now
    assert "Renvoyer le code" not in limited
    assert re.search(r"Vous pourrez demander un nouveau code à \d\d:\d\d", limited)
    refused = await web.post_form("/login/code/resend", {}, form_page="/login/code")
    assert refused.status == 303 and refused.headers["Location"] == "/login/code"
    assert len(outbox_messages(outbox, "sms", doctor.mobile, since)) == 3  # none sent past the limit

    latest = _code(third[-1])
    if first != latest:  # an earlier code no longer works
        assert (await web.post_form("/login/code", {"code": first})).status == 401
    done = await web.post_form("/login/code", {"code": latest})
    assert done.status == 303 and done.headers["Location"] == "/"


async def test_resending_without_a_login_attempt_goes_back_to_the_login(web: WebClient) -> None:
    response = await web.post_form("/login/code/resend", {}, form_page="/login")
    assert response.status == 303 and response.headers["Location"] == "/login"
