"""The gateway at the HTTP level: cookies, CSRF, headers, and the same 404 for what is not yours."""

from __future__ import annotations

import re
from dataclasses import replace

from aiohttp import web

from deploy.stack import Stack, free_port
from gateway.config import GatewaySettings
from gateway.cookies import session_cookie_name, set_private_cookie

from .gateway_routes import gateway_settings
from .portal import Hospital, Physicians, PortalEvents, deliver
from .web import WebClient


async def test_session_cookie_is_http_only_and_same_site(web: WebClient, physicians: Physicians) -> None:
    doctor = await physicians.create()
    done = await web.log_in(doctor)
    cookie = done.headers.getall("Set-Cookie")
    session = next(value for value in cookie if value.startswith("portal_session="))
    assert "HttpOnly" in session and "SameSite=Lax" in session and "Path=/" in session


def test_over_https_the_session_cookie_is_host_prefixed_and_secure() -> None:
    settings = replace(_settings(), public_url="https://portail.hopital.example.ch")
    response = web.Response()
    set_private_cookie(response, settings, session_cookie_name(settings), "x" * 43)
    header = response.cookies["__Host-portal_session"].output(header="").strip()
    assert header.startswith("__Host-portal_session=") and "Secure" in header and "Domain" not in header
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
    plain = _settings()
    assert session_cookie_name(plain) == "portal_session" and not plain.https  # browsers refuse __Host- without TLS


def _settings() -> GatewaySettings:
    return gateway_settings(environment="test")


async def test_form_without_csrf_token_or_from_another_origin_is_refused(web: WebClient) -> None:
    await web.get("/login")  # the browser now holds a CSRF cookie
    missing = await web.session.post(
        web.base + "/login", data={"login": "a", "password": "b"}, headers={"Origin": web.base}, allow_redirects=False
    )
    assert missing.status == 403
    token = await web.csrf_token("/login")
    foreign = await web.session.post(
        web.base + "/login",
        data={"login": "a", "password": "b", "csrf_token": token},
        headers={"Origin": "https://evil.example"},
        allow_redirects=False,
    )
    assert foreign.status == 403


async def test_pages_carry_security_headers_and_need_a_session(web: WebClient) -> None:
    response = await web.get("/documents")
    assert response.status in (302, 303) and response.headers["Location"].startswith("/login")
    page = await web.get("/login")
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"


async def test_someone_elses_document_is_the_same_404_as_a_missing_one(
    web: WebClient, stack: Stack, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    alice, bob = await physicians.create(), await physicians.create()
    await deliver(portal_events, hospital.episode(), alice.gln)
    alice_session = await physicians.login(alice)
    page = await physicians.documents(alice_session.token)
    alices_document = page.items[0].id

    await web.log_in(bob)
    unknown = "00000000-0000-4000-8000-000000000000"
    theirs = await web.get(f"/documents/{alices_document}/view")
    missing = await web.get(f"/documents/{unknown}/view")
    assert theirs.status == missing.status == 404
    # the pages differ only by the address asked for (it is in the language links)
    assert (await theirs.text()).replace(alices_document, unknown) == await missing.text()


async def test_own_document_download_has_safe_headers(
    web: WebClient, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    await deliver(portal_events, hospital.episode(), doctor.gln, category="lab_report")
    await web.log_in(doctor)
    listing = await web.get("/documents")
    [href] = set(re.findall(r'href="(/documents/[0-9a-f-]+/download)"', await listing.text()))
    download = await web.get(href)
    assert download.status == 200
    assert download.headers["Content-Type"].startswith("application/pdf")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "Resultats de laboratoire ROCHAT Elodie.pdf" in download.headers["Content-Disposition"]  # a French name
    assert (await download.read()).startswith(b"%PDF-")


async def test_dev_outbox_does_not_exist_outside_dev(stack: Stack) -> None:
    port = free_port()
    key = stack.start_process("gateway", copy=9, overrides={"PORTAL_ENV": "prod", "PORTAL_HTTP_PORT": str(port)})
    client = WebClient(stack, base=f"http://127.0.0.1:{port}")
    try:
        await stack.wait_ready([key], gateway_url=client.base)
        outbox, nowhere = await client.get("/dev/outbox"), await client.get("/nowhere")
        # what any address no route answers: to the anonymous, the login form first
        assert outbox.status == nowhere.status == 303 and outbox.headers["Location"] == "/login"
    finally:
        await client.close()
        stack.stop_process(key)


async def test_dev_outbox_exists_in_dev(web: WebClient) -> None:
    assert (await web.get("/dev/outbox")).status == 200


async def test_logout_ends_the_session_at_once(web: WebClient, physicians: Physicians) -> None:
    doctor = await physicians.create()
    await web.log_in(doctor)
    assert (await web.get("/documents")).status == 200
    session_cookie = next(c for c in web.session.cookie_jar if c.key == "portal_session").value
    assert (await web.post_form("/logout", {}, form_page="/documents")).status == 303
    web.session.cookie_jar.update_cookies({"portal_session": session_cookie})  # an old copy of the cookie
    response = await web.get("/documents")
    assert response.status in (302, 303) and response.headers["Location"].startswith("/login")


async def test_the_browsers_address_comes_from_a_trusted_proxy_only() -> None:
    from aiohttp.test_utils import make_mocked_request

    from gateway.config import GatewaySettings
    from gateway.state import SETTINGS_KEY
    from gateway.views.auth import client_ip

    def address(peer: str, forwarded: str | None, trusted: frozenset[str]) -> str:
        settings = GatewaySettings.__new__(GatewaySettings)
        object.__setattr__(settings, "trusted_proxies", trusted)
        app = web.Application()
        app[SETTINGS_KEY] = settings
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        request = make_mocked_request("POST", "/login", headers=headers, app=app)
        request._transport_peername = (peer, 40000)  # type: ignore[attr-defined]
        return client_ip(request)

    proxy = frozenset({"127.0.0.1"})
    assert address("127.0.0.1", "203.0.113.9", proxy) == "203.0.113.9"
    assert address("127.0.0.1", "6.6.6.6, 203.0.113.9", proxy) == "203.0.113.9"  # what the client wrote is ignored
    assert address("198.51.100.4", "203.0.113.9", proxy) == "198.51.100.4"  # not our proxy: not believed
    assert address("127.0.0.1", "203.0.113.9", frozenset()) == "127.0.0.1"  # no proxy configured
    assert address("127.0.0.1", None, frozenset()) == "127.0.0.1"  # a browser on this machine is a browser
    assert address("127.0.0.1", None, proxy) == ""  # our proxy, naming no browser: no address to count
    assert address("127.0.0.1", "127.0.0.1", proxy) == ""


async def test_no_answer_names_the_server_s_software(web: WebClient) -> None:
    """`Server: Python/3.11 aiohttp/3.x` told an attacker which versions to look up."""
    for path in ("/login", "/static/portal.css", "/api/health", "/nowhere"):
        response = await web.get(path)
        server = response.headers.get("Server", "")
        assert "aiohttp" not in server.lower() and "python" not in server.lower(), (path, server)


async def test_the_dev_outbox_keeps_its_messages_to_itself(stack: Stack, physicians: Physicians) -> None:
    """The codes and temporary passwords the dev outbox receives are readable by its user only."""
    await physicians.ask_code(await physicians.create())
    assert stack.outbox_dir.stat().st_mode & 0o077 == 0
    files = list(stack.outbox_dir.glob("*.json"))
    assert files and all(path.stat().st_mode & 0o077 == 0 for path in files)
