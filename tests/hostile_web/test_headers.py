"""Headers per kind of answer (hostile suite, part 5): every page of the router, the error pages,
assets, documents, the event stream, the public keys and the machine API each carry what
protects them; and under https every cookie is `__Host-`, Secure, HttpOnly and SameSite."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from multidict import CIMultiDictProxy

from common.outages import Outages
from deploy.stack import Stack
from gateway.app import make_app

from ..portal import Hospital, Physicians, PortalEvents, deliver
from ..web import CSRF_FIELD, SignIn
from .callers import Caller, first_admitted
from .router import Probe, probes, stack_gateway_settings

PAGES = [probe for probe in probes() if probe.method == "GET"]
CACHED = ("/static/", "/.well-known/")  # assets and the public keys may be kept; nothing else
HTTPS_URL = "https://portail.hopital.example.ch"


FRAMED_BY_OUR_PAGES = re.compile(r"/documents/[^/]+/view")
"""The one content the portal's own pages may frame (document.html); any other answer is framed by no one."""


def header_problems(path: str, headers: CIMultiDictProxy[str]) -> list[str]:
    """What an answer of the pages lacks of the protections every one of them carries."""
    csp = headers.get("Content-Security-Policy", "")
    wanted = {
        "nosniff": headers.get("X-Content-Type-Options") == "nosniff",
        "framed by no one": "frame-ancestors 'none'" in csp and headers.get("X-Frame-Options") == "DENY",
        "referrer": headers.get("Referrer-Policy") == "same-origin",
        "no-store": path.startswith(CACHED) or headers.get("Cache-Control") == "no-store",
    }
    is_html = headers.get("Content-Type", "").startswith("text/html")  # an error page is framed by no one
    if is_html:
        wanted["a page's CSP"] = all(
            part in csp for part in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'")
        )
    if FRAMED_BY_OUR_PAGES.fullmatch(path) and not is_html:  # a document's content, beside its details on its page
        del wanted["framed by no one"]
        wanted["framed by our pages only"] = (
            "frame-ancestors 'self'" in csp and headers.get("X-Frame-Options") == "SAMEORIGIN"
        )
    return [name for name, present in wanted.items() if not present]


@pytest.mark.parametrize("probe", PAGES, ids=str)
async def test_every_page_carries_the_pages_headers(probe: Probe, callers: dict[str, Caller]) -> None:
    caller = first_admitted(callers, probe.audience)
    await caller.ready()
    answer = await caller.send("GET", probe.path)
    assert answer.status < 500 and not header_problems(probe.path, answer.headers), (str(answer), answer.headers)


async def test_error_pages_and_refusals_carry_the_pages_headers(callers: dict[str, Caller]) -> None:
    physician, anonymous = callers["physician"], callers["anonymous"]
    await physician.ready()
    answers = {
        "/nowhere": await physician.send("GET", "/nowhere"),  # 404
        "/admin/accounts": await physician.send("GET", "/admin/accounts"),  # 403
        "/documents": await anonymous.send("GET", "/documents"),  # to the login form
        "/login": await anonymous.send("POST", "/login", {}),  # no CSRF token: 403
    }
    assert [answer.status for answer in answers.values()] == [404, 403, 303, 403]
    problems = {path: header_problems(path, answer.headers) for path, answer in answers.items()}
    assert not any(problems.values()), problems


async def test_assets_keys_stream_and_api_carry_their_headers(callers: dict[str, Caller]) -> None:
    physician = callers["physician"]
    await physician.ready()
    asset = await physician.send("GET", "/static/portal.css")
    assert asset.status == 200 and asset.headers["Content-Type"].startswith("text/css")
    keys = await physician.send("GET", "/.well-known/jwks.json")
    assert keys.headers["Content-Type"] == "application/jwk-set+json"
    assert keys.headers["Cache-Control"] == "public, max-age=60"
    stream = await physician.send("GET", "/events")
    assert stream.status == 200 and stream.headers["Content-Type"] == "text/event-stream"
    for path, answer in (("/static/portal.css", asset), ("/.well-known/jwks.json", keys), ("/events", stream)):
        assert not header_problems(path, answer.headers), path
    for path in ("/api/health", "/api/anything"):
        api = await physician.send("GET", path)  # no bearer: a 401 problem, the cookie ignored
        assert api.headers["Content-Type"].startswith(("application/json", "application/problem+json"))
        assert api.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert api.headers["X-Content-Type-Options"] == "nosniff" and api.headers["Cache-Control"] == "no-store"
        assert api.headers["Referrer-Policy"] == "same-origin" and api.headers["X-Frame-Options"] == "DENY"


async def test_a_documents_content_is_sandboxed_and_kept_by_no_cache(
    sign_in: SignIn, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    await deliver(portal_events, hospital.episode(), doctor.gln)
    web = await sign_in(doctor)
    [document] = set(re.findall(r'href="/documents/([0-9a-f-]+)/view"', await (await web.get("/documents")).text()))
    for disposition in ("view", "download"):
        path = f"/documents/{document}/{disposition}"
        content = await web.get(path)
        assert content.status == 200 and content.headers["Content-Type"].startswith("application/pdf")
        assert content.headers["Content-Security-Policy"].startswith("sandbox;")
        assert not header_problems(path, content.headers), disposition
    assert content.headers["Content-Disposition"].startswith("attachment;")


class HttpsBrowser:
    """A browser of a gateway served over https (TLS ended in front of it): it keeps every cookie
    it is given, Secure ones included, and every `Set-Cookie` line it saw."""

    def __init__(self, base: str, http: aiohttp.ClientSession) -> None:
        self.base, self.http = base, http
        self.cookies: dict[str, str] = {}
        self.set_cookie_lines: list[str] = []
        self.token = ""

    async def ask(self, method: str, path: str, form: dict[str, str] | None = None) -> aiohttp.ClientResponse:
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}
        data = None
        if form is not None:
            headers["Origin"] = HTTPS_URL
            data = {**form, "csrf_token": self.token}
        async with self.http.request(method, self.base + path, data=data, headers=headers, allow_redirects=False) as r:
            body = await r.text()
        self.set_cookie_lines += r.headers.getall("Set-Cookie", [])
        for name, morsel in r.cookies.items():
            if morsel["max-age"] == "0":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value
        if found := CSRF_FIELD.search(body):
            self.token = found.group(1)
        assert r.headers.get("Strict-Transport-Security", "").startswith("max-age="), path
        return r


@pytest.fixture(scope="module")
async def https_gateway(stack: Stack) -> AsyncIterator[str]:
    """A second gateway, in this process, with the stack's settings but a public https URL."""
    settings = replace(stack_gateway_settings(stack), public_url=HTTPS_URL)
    nc = await stack.connect_nats("gateway")
    server = TestServer(make_app(settings, nc, lambda: (True, {}), Outages()))
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()
        await nc.close()


async def test_under_https_every_cookie_is_host_only_secure_and_unreadable_by_scripts(
    https_gateway: str, physicians: Physicians
) -> None:
    """Finding (issue 12): the CSRF, login and step-up cookies had no `__Host-` prefix (nor the
    language, HIN and unlocking ones)."""
    doctor = await physicians.create()
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        browser = HttpsBrowser(https_gateway, http)
        await browser.ask("GET", "/login")
        await browser.ask("GET", "/lang/en?next=/login")
        assert (await browser.ask("POST", "/login/hin", {})).status == 303
        await browser.ask("GET", "/login/unlock")
        assert (await browser.ask("POST", "/login/unlock", {"login": doctor.login})).status == 303
        since = time.time_ns()
        credentials = {"login": doctor.login, "password": doctor.password, "next": "/documents"}
        assert (await browser.ask("POST", "/login", credentials)).status == 303
        code = await physicians.sms_code(doctor.mobile, since, browser.cookies["__Host-portal_login"])
        await browser.ask("GET", "/login/code")
        assert (await browser.ask("POST", "/login/code", {"code": code})).status == 303
        await browser.ask("GET", "/profile/password")
        new = "une phrase assez longue et neuve"
        changing = await browser.ask(
            "POST", "/profile/password", {"current": doctor.password, "new": new, "again": new}
        )
        assert changing.status == 303
        assert (await browser.ask("POST", "/logout", {})).status == 303
    names = {line.split("=", 1)[0] for line in browser.set_cookie_lines}
    plain = ("csrf", "lang", "hin", "unlock", "login", "session", "device", "step_up", "next")
    assert names == {f"__Host-portal_{name}" for name in plain}
    for line in browser.set_cookie_lines:
        attributes = {part.strip().split("=")[0].lower() for part in line.split(";")[1:]}
        assert {"secure", "httponly", "samesite", "path"} <= attributes and "domain" not in attributes, line
        assert "SameSite=Lax" in line and "Path=/" in line, line
