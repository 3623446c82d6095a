"""Who the hostile web suite sends: the anonymous and one session per role, each holding a valid
form token for its cookies; and what each of the gateway's refusals looks like."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from common.contracts.base import Role
from deploy.stack import Stack
from gateway.access import Audience

from ..portal import Physician, Physicians
from ..web import WebClient

ANONYMOUS = "anonymous"
ROLES: tuple[Role, ...] = ("physician", "validator", "admin", "service_staff")
CALLERS = (ANONYMOUS, *ROLES)

SAFE_METHODS = frozenset({"GET", "HEAD"})
# The English texts of the refusal pages (the callers choose English, the source language).
ROLE_REFUSAL_TEXT = "You are not allowed to do this."
CSRF_REFUSAL_TEXT = "did not come from the portal"
SESSION_COOKIES = ("portal_session", "__Host-portal_session")


@dataclass(frozen=True)
class Answer:
    """What the gateway answered, read whole (a stream's body is left unread)."""

    method: str
    status: int
    headers: CIMultiDictProxy[str]
    body: str

    @property
    def cookies_set(self) -> list[str]:
        return self.headers.getall("Set-Cookie", [])

    @property
    def forgets_session(self) -> bool:
        """The answer tells the browser to drop its session cookie."""
        return any(
            line.startswith(f"{name}=") and "Max-Age=0" in line for line in self.cookies_set for name in SESSION_COOKIES
        )

    @property
    def login_refusal(self) -> bool:
        """No live session where the route needs one: a page goes to the login form, a form gets a
        401 page, and the browser forgets its session cookie."""
        if not self.forgets_session:
            return False
        if self.method in SAFE_METHODS:  # to the login form, which leads back to the page once logged in
            return self.status == 303 and URL(self.headers.get("Location", "")).path == "/login"
        return self.status == 401

    @property
    def role_refusal(self) -> bool:
        """The route's audience does not admit the session's role: 403, before the view."""
        return self.status == 403 and (self.method == "HEAD" or ROLE_REFUSAL_TEXT in self.body)

    @property
    def csrf_refusal(self) -> bool:
        return self.status == 403 and CSRF_REFUSAL_TEXT in self.body

    @property
    def refused(self) -> bool:
        return self.login_refusal or self.role_refusal or self.csrf_refusal

    def __str__(self) -> str:
        return f"{self.method} {self.status} {self.headers.get('Location', '')}".strip()


class Caller:
    """The anonymous (`role` None) or a signed-in account of `role`, in a browser of its own."""

    def __init__(self, stack: Stack, physicians: Physicians, http: aiohttp.ClientSession, role: Role | None) -> None:
        self.name = role or ANONYMOUS
        self.role = role
        self.physicians = physicians
        self.http = http  # no cookie jar: each request carries exactly the cookies chosen
        self.web = WebClient(stack)
        self.web.session.cookie_jar.update_cookies({"portal_lang": "en"}, URL(self.web.base))
        self.account: Physician | None = None
        self.token = ""
        self._signed_for: tuple[str, str] | None = None

    async def close(self) -> None:
        await self.web.close()

    def cookies(self) -> dict[str, str]:
        return {cookie.key: cookie.value for cookie in self.web.session.cookie_jar}

    async def ready(self) -> None:
        """Signed in (again, after a route ended its session) and holding a form token for its cookies."""
        if self.role is not None and "portal_session" not in self.cookies():
            if self.account is None:
                self.account = await self.physicians.create(role=self.role)
                # English for a physician too, whose pages follow the account's language.
                assert self.physicians.pool is not None
                await self.physicians.pool.execute(
                    "UPDATE accounts SET locale = 'en' WHERE id = $1", uuid.UUID(self.account.account_id)
                )
            session = await self.physicians.login(self.account)
            self.web.session.cookie_jar.update_cookies({"portal_session": session.secret}, URL(self.web.base))
        cookies = self.cookies()
        signed_for = (cookies.get("portal_csrf", ""), cookies.get("portal_session", ""))
        if signed_for != self._signed_for or not self.token:
            self.token = await self.web.csrf_token("/login")  # a public page: any caller sees its form
            self._signed_for = (self.cookies().get("portal_csrf", ""), signed_for[1])

    async def send(
        self,
        method: str,
        path: str,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        cookies: Mapping[str, str] | None = None,
        multipart: bool = False,
    ) -> Answer:
        """`method` on `path` with the caller's cookies (or `cookies`); a form (with the caller's
        token unless `form` says otherwise) from the portal's own origin unless `headers` say.
        A `multipart` form sends its token in the query, as the upload forms do."""
        jar = self.cookies() if cookies is None else cookies
        sent_headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in jar.items())}
        data: dict[str, str] | aiohttp.FormData | None = None
        url = URL(self.web.base + path)
        if method not in SAFE_METHODS:
            sent_headers["Origin"] = self.web.base
            fields = dict(form) if form is not None else {"csrf_token": self.token}
            data = fields
            if multipart:
                token = fields.pop("csrf_token", None)
                url = url.update_query(csrf_token=token) if token is not None else url
                data = aiohttp.FormData({"note": "sent as an upload form is", **fields}, default_to_multipart=True)
        sent_headers.update(headers or {})
        async with self.http.request(method, url, data=data, headers=sent_headers, allow_redirects=False) as response:
            streamed = response.content_type == "text/event-stream"  # an open stream: its headers are enough
            body = "" if streamed or method == "HEAD" else await response.text(errors="replace")
            answer = Answer(method, response.status, response.headers, body)
        if answer.forgets_session:
            self.web.session.cookie_jar.clear(lambda cookie: cookie.key == "portal_session")
        return answer


def first_admitted(callers: Mapping[str, Caller], audience: Audience) -> Caller:
    """The first caller `audience` lets in: the anonymous for a public route, else a signed-in role."""
    return next(
        caller
        for caller in callers.values()
        if audience.public or (caller.role is not None and audience.admits(caller.role))
    )
