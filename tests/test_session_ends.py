"""A session that ends stops at once on every gateway copy, its pages and its event streams alike
(identity announces it: SESSIONS_ENDED), however it ends; and an account holds a few event
streams at most, a new one taking the oldest's place."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from yarl import URL

from common.contracts import accounts
from deploy.stack import Stack, free_port

from .portal import Hospital, Physician, Physicians, PortalEvents, deliver, eventually
from .web import SignIn, WebClient

COOKIE = "portal_session"
OTHER_SESSION_FORM = re.compile(r'action="/profile/sessions/([0-9a-f-]{36})/end"')


@pytest.fixture(scope="module")
async def second_gateway(stack: Stack) -> AsyncIterator[str]:
    """Another copy of the gateway, as production runs several behind a load balancer."""
    port = free_port()
    key = stack.start_process("gateway", copy=8, overrides={"PORTAL_HTTP_PORT": str(port)})
    url = f"http://127.0.0.1:{port}"
    try:
        await stack.wait_ready([key], gateway_url=url)
        yield url
    finally:
        stack.stop_process(key)


async def _open_stream(web: WebClient) -> aiohttp.ClientResponse:
    stream = await web.session.get(f"{web.base}/events", timeout=aiohttp.ClientTimeout(total=60))
    assert stream.status == 200 and await stream.content.readline() == b"retry: 3000\n"
    assert await stream.content.readline() == b"\n"
    return stream


async def _rest_of(stream: aiohttp.ClientResponse) -> bytes:
    """What the stream still says before it ends (keep-alives come every 15 s: it must end first)."""
    rest = await asyncio.wait_for(stream.content.read(), timeout=5)
    assert stream.content.at_eof()
    return rest


def _cookie(web: WebClient) -> str:
    return next(cookie.value for cookie in web.session.cookie_jar if cookie.key == COOKIE)


async def _log_out(here: WebClient, physicians: Physicians, doctor: Physician, sign_in: SignIn) -> None:
    session = _cookie(here)
    assert (await here.post_form("/logout", {}, form_page="/documents")).status == 303
    here.session.cookie_jar.update_cookies({COOKIE: session}, URL(here.base))  # an old copy of the cookie


async def _end_from_another_session(
    here: WebClient, physicians: Physicians, doctor: Physician, sign_in: SignIn
) -> None:
    elsewhere = await sign_in(doctor)
    [session_id] = OTHER_SESSION_FORM.findall(await (await elsewhere.get("/profile/sessions")).text())
    ended = await elsewhere.post_form(f"/profile/sessions/{session_id}/end", {}, form_page="/profile/sessions")
    assert ended.status == 303


async def _deactivate(here: WebClient, physicians: Physicians, doctor: Physician, sign_in: SignIn) -> None:
    admin = await physicians.login(await physicians.create(role="admin"))
    status = accounts.AccountStatus(id=doctor.account_id, active=False)
    await physicians.call(accounts.SET_ACCOUNT_STATUS, status, token=admin.token)


Ending = Callable[[WebClient, Physicians, Physician, SignIn], Awaitable[None]]


@pytest.mark.parametrize("end", [_log_out, _end_from_another_session, _deactivate], ids=lambda end: end.__name__)
async def test_an_ended_session_is_refused_at_once_on_every_gateway_and_its_streams_end(
    stack: Stack, second_gateway: str, physicians: Physicians, sign_in: SignIn, end: Ending
) -> None:
    doctor = await physicians.create()
    here = await sign_in(doctor)
    there = WebClient(stack, base=second_gateway)
    there.session.cookie_jar.update_cookies({COOKIE: _cookie(here)}, URL(there.base))
    try:
        for web in (here, there):  # each copy now remembers the session (for five seconds)
            assert (await web.get("/documents")).status == 200
        streams = [await _open_stream(here), await _open_stream(there)]

        await end(here, physicians, doctor, sign_in)

        # Each copy hears of the end on the bus, a moment after it is committed: well within 2 s on
        # a loaded machine, where the cache alone kept the session 5 s (what this test catches).
        for web in (here, there):

            async def refused(web: WebClient = web) -> bool | None:
                answer = await web.get("/documents")
                return (answer.status == 303 and answer.headers["Location"].startswith("/login")) or None

            await eventually(refused, timeout=2.0, what=f"the session refused on {web.base}")
        for stream in streams:
            assert await _rest_of(stream) == b""
    finally:
        await there.close()


async def test_a_sixth_event_stream_of_an_account_ends_the_oldest_one(
    sign_in: SignIn, physicians: Physicians, hospital: Hospital, portal_events: PortalEvents
) -> None:
    doctor = await physicians.create()
    web = await sign_in(doctor)
    oldest, *others = [await _open_stream(web) for _ in range(5)]
    newest = await _open_stream(web)
    try:
        # Its page stops listening until it is looked at again (static/live.js).
        assert await _rest_of(oldest) == b"event: superseded\ndata: {}\n\n"
        await deliver(portal_events, hospital.episode(), doctor.gln, title="Pour les cinq")
        for stream in [*others, newest]:  # the five others still hear of a new document
            line = await asyncio.wait_for(stream.content.readline(), timeout=20)
            while line.startswith(b":") or line == b"\n":  # keep-alives
                line = await asyncio.wait_for(stream.content.readline(), timeout=20)
            assert line == b"event: delivered\n"
    finally:
        for stream in [oldest, *others, newest]:
            stream.close()
