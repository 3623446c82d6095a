"""A physician's browser without a browser: aiohttp with a cookie jar, for HTTP-level tests."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Awaitable, Callable

import aiohttp
from yarl import URL

from deploy.stack import Stack

from . import leaks
from .portal import Physician, eventually, latest_code

CSRF_FIELD = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


class WebClient:
    def __init__(self, stack: Stack, base: str | None = None) -> None:
        self.stack = stack
        self.base = base or stack.config.public_url
        # unsafe: keep cookies for an IP address host, as browsers do
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def close(self) -> None:
        leaks.SENSITIVE.remember(leaks.COOKIE, *(cookie.value for cookie in self.session.cookie_jar))
        await self.session.close()

    def hold(self, session: str) -> WebClient:
        """Hold the cookie of a session opened elsewhere (through identity, as the tests log in)."""
        self.session.cookie_jar.update_cookies({"portal_session": session}, URL(self.base))
        return self

    async def get(self, path: str, **options: object) -> aiohttp.ClientResponse:
        response = await self.session.get(self.base + path, allow_redirects=False, **options)  # type: ignore[arg-type]
        await response.read()
        return response

    async def csrf_token(self, path: str) -> str:
        page = await self.get(path)
        match = CSRF_FIELD.search(await page.text())
        assert match, f"no CSRF field on {path}"
        leaks.SENSITIVE.remember(leaks.CSRF_TOKEN, match.group(1))
        return match.group(1)

    async def post_form(
        self, path: str, fields: dict[str, str], form_page: str | None = None
    ) -> aiohttp.ClientResponse:
        """Submit a form the way a browser does: token from the page, same Origin."""
        token = await self.csrf_token(form_page or path)
        leaks.SENSITIVE.remember_form(fields)
        response = await self.session.post(
            self.base + path,
            data={**fields, "csrf_token": token},
            headers={"Origin": self.base},
            allow_redirects=False,
        )
        await response.read()
        return response

    async def upload(
        self, path: str, field: str, filename: str, content: bytes, form_page: str
    ) -> aiohttp.ClientResponse:
        """Send a file as the page's upload form does: multipart, the CSRF token in the query."""
        return await self.post_multipart(path, [], [(field, filename, content)], form_page)

    async def post_multipart(
        self, path: str, fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]], form_page: str
    ) -> aiohttp.ClientResponse:
        """A form with files, as a browser sends it: its text fields first, then its files."""
        token = await self.csrf_token(form_page)
        form = aiohttp.FormData(default_to_multipart=True)  # as a browser: multipart even with no file chosen
        for name, value in fields:
            form.add_field(name, value)
        for field, filename, content in files:
            form.add_field(field, content, filename=filename, content_type="application/octet-stream")
        response = await self.session.post(
            f"{self.base}{path}?csrf_token={token}", data=form, headers={"Origin": self.base}, allow_redirects=False
        )
        await response.read()
        return response

    async def log_in(self, physician: Physician) -> aiohttp.ClientResponse:
        since = time.time_ns()
        step = await self.post_form("/login", {"login": physician.login, "password": physician.password})
        assert step.status == 303 and step.headers["Location"] == "/login/code", step.status

        async def code() -> str | None:
            return latest_code(self.stack.outbox_dir, physician.mobile, since)

        done = await self.post_form("/login/code", {"code": await eventually(code, what="the SMS code")})
        assert done.status == 303 and done.headers["Location"] == "/", done.status
        return done

    async def start_hin_login(self) -> str:
        """The login page's HIN button: where the gateway sends the browser (the provider's URL)."""
        response = await self.post_form("/login/hin", {}, form_page="/login")
        assert response.status == 303, response.status
        return response.headers["Location"]

    async def at_hin(self, authorize_url: str, hin_id: str) -> str:
        """At the identity provider, as a person does: its login form filled in (any password for a
        test identity); the portal URL it sends the browser back to."""
        response = await self.session.get(authorize_url, allow_redirects=False)
        for _ in range(10):
            if response.status in (302, 303):
                location = response.headers["Location"]
                if location.startswith(self.base):
                    return location
                response = await self.session.get(response.url.join(URL(location)), allow_redirects=False)
                continue
            page = await response.text()
            form = re.search(r'<form[^>]*action="([^"]+)"[^>]*method="post"', page)
            assert response.status == 200 and form and 'name="login"' in page, (response.status, page[:500])
            response = await self.session.post(
                response.url.join(URL(html.unescape(form.group(1)))),
                data={"prompt": "login", "login": hin_id, "password": "any password"},
                allow_redirects=False,
            )
        raise AssertionError("the identity provider did not send the browser back to the portal")

    async def hin_login(self, hin_id: str) -> aiohttp.ClientResponse:
        """A whole HIN login: the button, the provider's form, the portal's callback answer."""
        callback = await self.at_hin(await self.start_hin_login(), hin_id)
        return await self.get(callback.removeprefix(self.base))


SignIn = Callable[[Physician], Awaitable[WebClient]]
"""A browser holding the session of an account (physician or staff) logged in through identity."""
