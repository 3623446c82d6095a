"""The machine API root `/api/`: JSON and problem+json only, bearer tokens only, nothing of the pages.

The unit tests mount the API sub-application alone (no process of the portal); the others ask the
real gateway of the test stack.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from common.errors import (
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
    Unauthenticated,
)
from gateway.api.app import API_PREFIX, make_api_app
from gateway.api.bearer import GRANT_KEY, BearerGrant
from gateway.api.problems import problems
from gateway.state import READINESS_KEY

from .portal import Physicians
from .web import SignIn, WebClient

PUBLIC = "public"
BEARER = "bearer"

API_ROUTES = {
    ("GET", "/api/health"): PUBLIC,
}
"""Every route of the API and what it asks for: a new route fails the test below until it is here.
Each route needing a bearer is then asked without one, with a refused one and with a browser's
session on the stack."""

UNKNOWN = [("GET", "/api"), ("GET", "/api/"), ("GET", "/api/nope"), ("POST", "/api/nope"), ("DELETE", "/api/health")]
"""What the API does not have: refused as a route needing a bearer would be, never an HTML page."""

REFUSED = [route for route, needs in API_ROUTES.items() if needs == BEARER] + UNKNOWN

PROBLEM = "application/problem+json"
GOOD_TOKEN = "good.token-for_the~tests+/="


async def _accept_the_good_token(token: str) -> BearerGrant | None:
    return BearerGrant(subject="practice-1", scopes=frozenset({"test"})) if token == GOOD_TOKEN else None


@pytest.fixture
async def api() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """The API sub-application as the gateway mounts it, with a verifier that accepts one token."""
    root = web.Application()
    root[READINESS_KEY] = lambda: (True, {"bus": "ok"})
    root.add_subapp(API_PREFIX, make_api_app(verifier=_accept_the_good_token))
    async with TestClient(TestServer(root)) as client:
        yield client


async def _problem(response: ClientResponse, status: int) -> None:
    assert response.status == status
    assert response.content_type == PROBLEM
    body = await response.json(content_type=PROBLEM)
    assert body["type"] == "about:blank" and body["status"] == status and body["title"]
    assert set(body) == {"type", "title", "status"}
    assert "Set-Cookie" not in response.headers


@pytest.mark.unit
def test_every_api_route_is_in_the_table() -> None:
    root = web.Application()
    root.add_subapp(API_PREFIX, make_api_app())
    routes = {
        (route.method, route.resource.canonical)
        for route in root.router.routes()
        if route.resource is not None and route.method != "HEAD"
    }
    assert routes == set(API_ROUTES)


@pytest.mark.unit
async def test_a_route_needing_a_token_or_a_missing_one_is_401_before_404(
    api: TestClient[web.Request, web.Application],
) -> None:
    for method, path in REFUSED:
        response = await api.request(method, path)
        await _problem(response, 401)
        assert response.headers["WWW-Authenticate"] == "Bearer"
        refused = await api.request(method, path, headers={"Authorization": "Bearer not-the-good-one"})
        await _problem(refused, 401)
        assert refused.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    basic = await api.get("/api/nope", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status == 401 and basic.headers["WWW-Authenticate"] == "Bearer"  # another scheme: no token
    malformed = await api.get("/api/nope", headers={"Authorization": f"Bearer {GOOD_TOKEN} {GOOD_TOKEN}"})
    assert malformed.status == 401 and malformed.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.unit
async def test_with_a_valid_token_what_the_api_lacks_is_404_or_405_as_problem_json(
    api: TestClient[web.Request, web.Application],
) -> None:
    missing = await api.get("/api/nope", headers={"Authorization": f"bearer {GOOD_TOKEN}"})  # scheme in any case
    await _problem(missing, 404)
    assert (await missing.json(content_type=PROBLEM))["title"] == "Not Found"
    not_allowed = await api.post("/api/health", headers={"Authorization": f"Bearer {GOOD_TOKEN}"})
    await _problem(not_allowed, 405)
    assert "GET" in not_allowed.headers["Allow"]


@pytest.mark.unit
async def test_health_needs_no_token_and_says_whether_the_gateway_is_ready(
    api: TestClient[web.Request, web.Application],
) -> None:
    response = await api.get("/api/health")
    assert response.status == 200 and response.content_type == "application/json"
    assert await response.json() == {"status": "ok", "ready": True}
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"


async def _granted(request: web.Request) -> web.Response:
    return web.json_response({"subject": request[GRANT_KEY].subject})


@pytest.mark.unit
async def test_a_route_behind_the_token_sees_the_grant_of_its_verifier() -> None:
    api_app = make_api_app(verifier=_accept_the_good_token)
    api_app.router.add_get("/granted", _granted)
    root = web.Application()
    root.add_subapp(API_PREFIX, api_app)
    async with TestClient(TestServer(root)) as client:
        response = await client.get("/api/granted", headers={"Authorization": f"Bearer {GOOD_TOKEN}"})
        assert await response.json() == {"subject": "practice-1"}


ERRORS: list[tuple[Exception, int]] = [
    (InvalidRequest("the text of patient Dupont"), 400),
    (Unauthenticated(), 401),
    (Forbidden("the text of patient Dupont"), 403),
    (NotFound("the text of patient Dupont"), 404),
    (Conflict("the text of patient Dupont"), 409),
    (web.HTTPRequestEntityTooLarge(max_size=1, actual_size=2), 413),
    (TooManyRequests("the text of patient Dupont"), 429),
    (RuntimeError("the text of patient Dupont"), 500),
    (ServiceUnavailable("the text of patient Dupont"), 503),
]


@pytest.mark.unit
async def test_each_error_is_problem_json_without_its_text(caplog: pytest.LogCaptureFixture) -> None:
    async def failing(request: web.Request) -> web.Response:
        raise ERRORS[int(request.match_info["n"])][0]

    app = web.Application(middlewares=[problems])
    app.router.add_get("/fail/{n}", failing)
    async with TestClient(TestServer(app)) as client:
        for number, (error, status) in enumerate(ERRORS):
            with caplog.at_level(logging.ERROR):
                response = await client.get(f"/fail/{number}")
            await _problem(response, status)
            assert "Dupont" not in await response.text(), type(error)
            assert ("WWW-Authenticate" in response.headers) == (status == 401)
    assert "unexpected RuntimeError on GET /fail/{n}" in caplog.text
    assert "Dupont" not in caplog.text


async def _assert_not_a_page(response: ClientResponse) -> None:
    assert response.content_type in ("application/json", PROBLEM), response.content_type
    assert "Set-Cookie" not in response.headers
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_the_api_health_is_json_without_a_token_or_a_cookie(web: WebClient) -> None:
    response = await web.get("/api/health")
    assert response.status == 200
    assert await response.json() == {"status": "ok", "ready": True}
    await _assert_not_a_page(response)


@pytest.mark.parametrize(("method", "path"), REFUSED)
async def test_the_api_refuses_without_a_valid_bearer_and_sets_no_cookie(
    web: WebClient, method: str, path: str
) -> None:
    response = await web.session.request(method, web.base + path, allow_redirects=False)
    await _problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"
    await _assert_not_a_page(response)
    # No one issues API tokens yet: the default verifier refuses them all.
    bearer = await web.session.request(
        method, web.base + path, headers={"Authorization": "Bearer some.token"}, allow_redirects=False
    )
    await _problem(bearer, 401)
    assert bearer.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


async def test_a_browsers_session_is_no_credential_for_the_api(sign_in: SignIn, physicians: Physicians) -> None:
    browser = await sign_in(await physicians.create())
    assert (await browser.get("/documents")).status == 200  # the session works for the pages
    response = await browser.get("/api/nope")
    await _problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_a_post_to_the_api_gets_no_csrf_check(web: WebClient) -> None:
    await web.get("/login")  # the browser now holds a CSRF cookie, which the API never reads
    for path in ("/api/nope", "/api/health"):
        response = await web.session.post(
            web.base + path, data={"a": "b"}, headers={"Origin": "https://evil.example"}, allow_redirects=False
        )
        await _problem(response, 401)  # the token is missing: not the pages' 403 for a form
        await _assert_not_a_page(response)


async def test_the_pages_keep_their_cookies_csrf_and_html_errors(web: WebClient) -> None:
    page = await web.get("/login")
    assert page.status == 200 and page.content_type == "text/html"
    assert any(cookie.startswith("portal_csrf=") for cookie in page.headers.getall("Set-Cookie"))
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    refused = await web.session.post(web.base + "/login", data={"login": "a", "password": "b"}, allow_redirects=False)
    assert refused.status == 403 and refused.content_type == "text/html"
    assert "Ce formulaire a expiré" in await refused.text()
    missing = await web.get("/apiary")  # only /api and what is under it is the API's
    assert missing.status == 303 and missing.headers["Location"] == "/login"
