"""An ended session is explained on the login page (issue 15): left idle past the configured
timeout, or ended otherwise (elsewhere, by an administrator); the physician then lands on the
page they asked for. A handle that names no session is told nothing."""

from __future__ import annotations

import hashlib

from yarl import URL

from common.contracts import identity

from .portal import Physicians, Session, eventually
from .test_login_next import _log_in
from .web import WebClient

IDLE = "Votre session a expiré après 30 minutes d’inactivité."
CLOSED = "Votre session a été fermée."


async def _leave_idle(physicians: Physicians, session: Session) -> None:
    assert physicians.pool is not None
    async with physicians.pool.acquire() as conn:
        await conn.execute(
            "UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE secret_hash = $1",
            hashlib.sha256(session.secret.encode()).digest(),
        )


async def test_an_idle_session_is_explained_and_the_page_asked_for_opens(
    web: WebClient, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    session = await physicians.login(doctor)
    await _leave_idle(physicians, session)
    sent = await web.hold(session.secret).get("/requests?scope=open")
    login = URL(sent.headers["Location"])
    assert sent.status == 303 and login.path == "/login"
    assert login.query["ended"] == "idle" and login.query["next"] == "/requests?scope=open"
    page = await (await web.get(str(login))).text()
    assert IDLE in page and CLOSED not in page
    credentials = {"login": doctor.login, "password": doctor.password, "next": "/requests?scope=open"}
    assert await _log_in(web, doctor, credentials, str(login)) == "/requests?scope=open"


async def test_a_session_ended_elsewhere_is_said_closed(web: WebClient, physicians: Physicians) -> None:
    doctor = await physicians.create()
    here, there = await physicians.login(doctor), await physicians.login(doctor)
    web.hold(there.secret)
    assert (await web.get("/documents")).status == 200
    listed = await physicians.call(identity.LIST_SESSIONS, identity.Empty(), token=here.token)
    [other] = [item for item in listed.items if not item.current]
    await physicians.call(identity.END_OTHER_SESSION, identity.OtherSession(id=other.id), token=here.token)

    async def sent_to_login() -> URL | None:
        response = await web.get("/documents")
        return URL(response.headers["Location"]) if response.status == 303 else None

    login = await eventually(sent_to_login, what="the ended session refused")
    assert login.query["ended"] == "closed" and login.query["next"] == "/documents"
    page = await (await web.get(str(login))).text()
    assert CLOSED in page and IDLE not in page


async def test_a_handle_of_no_session_is_told_nothing(web: WebClient) -> None:
    sent = await web.hold("made-up-handle").get("/documents")
    login = URL(sent.headers["Location"])
    assert sent.status == 303 and "ended" not in login.query
    page = await (await web.get(str(login))).text()
    assert IDLE not in page and CLOSED not in page
