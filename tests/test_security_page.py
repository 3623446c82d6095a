"""The security page (issue 15): each open session's browser and system (read from its
User-Agent at the login, only family and major version kept), how it was opened, its address,
this session marked; and "Fermer toutes les autres sessions", after a confirmation, ending every
other session of the account at once on every gateway."""

from __future__ import annotations

import pytest
from yarl import URL

from common.contracts.identity import SeenDevice
from gateway.user_agents import seen_device

from .portal import Physicians, eventually
from .web import WebClient

MAC_CHROME = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.2 Mobile/15E148 Safari/604.1"
)


@pytest.mark.unit
def test_a_user_agent_is_read_as_browser_and_system() -> None:
    assert seen_device(MAC_CHROME) == SeenDevice(browser="Chrome 131", system="Mac OS X")
    assert seen_device(IPHONE) == SeenDevice(browser="Mobile Safari 17", system="iOS")
    assert seen_device("") == SeenDevice() == seen_device("x" * 100_000)


async def test_the_sessions_say_where_from_and_all_others_close_at_once(physicians: Physicians) -> None:
    doctor = await physicians.create()
    here, phone = WebClient(physicians.stack), WebClient(physicians.stack)
    here.session.headers["User-Agent"], phone.session.headers["User-Agent"] = MAC_CHROME, IPHONE
    try:
        await here.log_in(doctor)
        await phone.log_in(doctor)
        elsewhere = await physicians.login(doctor)  # through identity: nothing known of its browser
        page = await (await here.get("/profile/sessions")).text()
        assert "Chrome 131, Mac OS X" in page and "Mobile Safari 17, iOS" in page
        assert page.count("mot de passe et code SMS") == 3  # all three by password and SMS code
        assert page.count("Cette session") == 1 and "session-current" in page
        assert physicians.pool is not None
        async with physicians.pool.acquire() as conn:  # the raw User-Agent is kept nowhere
            kept = await conn.fetch(
                "SELECT browser, system, client_ip FROM sessions WHERE account_id::text = $1", doctor.account_id
            )
        assert {(row["browser"], row["system"]) for row in kept} == {
            ("Chrome 131", "Mac OS X"),
            ("Mobile Safari 17", "iOS"),
            ("", ""),
        }
        assert all(f">{row['client_ip'] or '–'}<" in page for row in kept)  # each one's address, as stored

        asked = await (await here.get("/profile/sessions?confirm=others")).text()
        assert 'action="/profile/sessions/end-others"' in asked and "Oui, fermer toutes les autres sessions" in asked
        closed = await here.post_form("/profile/sessions/end-others", {}, form_page="/profile/sessions?confirm=others")
        assert closed.status == 303 and closed.headers["Location"] == "/profile/sessions?ended=others"
        after = await (await here.get("/profile/sessions?ended=others")).text()
        assert "Toutes les autres sessions ont été fermées." in after and "Mobile Safari" not in after

        async def phone_sent_to_login() -> URL | None:
            response = await phone.get("/documents")
            return URL(response.headers["Location"]) if response.status == 303 else None

        assert (await eventually(phone_sent_to_login, what="the phone's session ended")).query["ended"] == "closed"
        assert not await physicians.alive(elsewhere)
        assert (await here.get("/documents")).status == 200
    finally:
        await here.close()
        await phone.close()
