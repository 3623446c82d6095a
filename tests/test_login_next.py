"""A link in an email goes to the page it names, through the login (F10, issue 14): a page asked
for without a session leads to the login form with `next`, and the physician lands on it once
logged in, by password and SMS code or by HIN. Only a path of this site: every other way out
(an absolute URL, `//host`, a backslash, a control character) lands on the home page."""

from __future__ import annotations

import time
import uuid
from urllib.parse import quote

import pytest
from yarl import URL

from deploy.test_identity_provider import TestIdentityProvider
from gateway.asked_page import asked_page

from .portal import Physician, Physicians, eventually, latest_code
from .test_hin_login import new_identity
from .web import WebClient

HOSTILE = [
    "https://evil.example/phish",
    "//evil.example/phish",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/\t/evil.example",
    "/\r\nSet-Cookie: portal_session=x",
    "javascript:alert(1)",
    "evil.example",
    "",
    "/login/code",  # the login itself: no loop
    "/" + "a" * 3000,
]


@pytest.mark.unit
def test_only_a_path_of_this_site_is_kept() -> None:
    assert (
        asked_page("/requests/0b6f3c1e-4a8e-4f57-9c39-1f4f2d1c3a10") == "/requests/0b6f3c1e-4a8e-4f57-9c39-1f4f2d1c3a10"
    )
    assert asked_page("/documents?scope=unread&page=2") == "/documents?scope=unread&page=2"
    for hostile in HOSTILE:
        assert asked_page(hostile) is None, hostile


async def _log_in(web: WebClient, physician: Physician, fields: dict[str, str], form_page: str) -> str:
    """Password and SMS code through the pages; where the browser is sent once logged in."""
    since = time.time_ns()
    step = await web.post_form("/login", fields, form_page=form_page)
    assert step.status == 303 and step.headers["Location"] == "/login/code", step.status

    async def code() -> str | None:
        return latest_code(web.stack.outbox_dir, physician.mobile, since)

    done = await web.post_form("/login/code", {"code": await eventually(code, what="the SMS code")})
    assert done.status == 303
    return done.headers["Location"]


async def test_a_page_asked_for_without_a_session_opens_after_the_login(web: WebClient, physicians: Physicians) -> None:
    doctor = await physicians.create()
    asked = f"/requests/{uuid.uuid4()}"
    sent = await web.get(asked)
    login = URL(sent.headers["Location"])
    assert sent.status == 303 and login.path == "/login" and login.query["next"] == asked
    form = await (await web.get(str(login))).text()
    assert f'<input type="hidden" name="next" value="{asked}">' in form
    credentials = {"login": doctor.login, "password": doctor.password}
    wrong = await web.post_form("/login", {**credentials, "password": "wrong", "next": asked}, form_page=str(login))
    assert wrong.status == 401 and f'name="next" value="{asked}"' in await wrong.text()  # kept on a second try
    assert await _log_in(web, doctor, {**credentials, "next": asked}, str(login)) == asked
    assert "portal_next" not in {cookie.key for cookie in web.session.cookie_jar}  # once only
    # The page itself answers (a request that is not the physician's: not found, as any other).
    assert (await web.get(asked)).status == 404


async def test_a_login_without_a_page_asked_for_lands_on_the_home_page(web: WebClient, physicians: Physicians) -> None:
    doctor = await physicians.create()
    credentials = {"login": doctor.login, "password": doctor.password}
    assert await _log_in(web, doctor, credentials, "/login") == "/"
    anonymous = WebClient(web.stack)
    try:
        for path in ("/", "/nowhere"):  # nothing to go back to; an address no route answers names nothing
            assert (await anonymous.get(path)).headers["Location"] == "/login"
    finally:
        await anonymous.close()


@pytest.mark.parametrize("hostile", HOSTILE[:9])
async def test_no_next_leads_to_another_site(web: WebClient, physicians: Physicians, hostile: str) -> None:
    doctor = await physicians.create()
    form = await (await web.get(f"/login?next={quote(hostile, safe='')}")).text()
    assert 'type="hidden" name="next"' not in form
    fields = {"login": doctor.login, "password": doctor.password, "next": hostile}
    assert await _log_in(web, doctor, fields, "/login") == "/"


async def test_a_hin_login_lands_on_the_page_asked_for(
    web: WebClient, physicians: Physicians, hin_idp: TestIdentityProvider
) -> None:
    doctor = await physicians.create()
    hin_id, _ = new_identity(hin_idp, gln=doctor.gln)
    started = await web.post_form("/login/hin", {"next": "/requests?period=30d"}, form_page="/login?next=%2Frequests")
    assert started.status == 303
    callback = await web.at_hin(started.headers["Location"], hin_id)
    done = await web.get(callback.removeprefix(web.base))
    assert done.status == 303 and done.headers["Location"] == "/requests?period=30d"
    assert (await web.get("/requests?period=30d")).status == 200
