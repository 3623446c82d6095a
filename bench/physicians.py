"""Physicians (and the services' staff) for the benchmark: accounts created in identity's schema
(as the tests do), and logged in over HTTP through the gateway like a browser (CSRF token from the
form; a physician's code from the dev outbox's SMS, a staff member's from the authenticator app
enrolled at the first login), keeping their cookies."""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg
import pyotp
from stdnum import ean

from common.contracts.base import Role
from deploy.stack import Stack
from services.identity.accounts import create_account
from services.identity.passwords import Passwords

CSRF_FIELD = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
SMS_CODE = re.compile(r"\b(\d{6})\b")
APP_SECRET = re.compile(r'class="enrolment-secret">([A-Z2-7 ]+)<')


@dataclass(frozen=True)
class Physician:
    account_id: str
    login: str
    password: str
    gln: str  # "" for staff
    mobile: str
    role: Role = "physician"

    @property
    def key(self) -> str:
        """How the documents service names the physician ("gln:...")."""
        return f"gln:{self.gln}"


def random_gln() -> str:
    body = "760" + "".join(random.choice("0123456789") for _ in range(9))
    return body + ean.calc_check_digit(body)


def random_mobile() -> str:
    return "+4179" + "".join(random.choice("0123456789") for _ in range(7))


async def create_physicians(stack: Stack, count: int, role: Role = "physician") -> list[Physician]:
    """Active physician accounts, each with its own GLN and mobile number (or staff accounts of
    `role`, without a GLN)."""
    pool = await asyncpg.create_pool(
        stack.service_dsns["identity"], min_size=1, max_size=4, server_settings={"search_path": "identity"}
    )
    passwords = Passwords()

    async def one() -> Physician:
        login, password = f"bench-{uuid.uuid4().hex[:10]}", f"pw-{uuid.uuid4().hex}"
        gln, mobile = random_gln() if role == "physician" else "", random_mobile()
        async with pool.acquire() as conn:
            account_id = await create_account(
                conn,
                passwords,
                login=login,
                password=password,
                family_name="Banc",
                given_name=login,
                email=f"{login}@cabinet.example.ch",
                mobile=mobile,
                gln=gln or None,
                role=role,
            )
        return Physician(account_id, login, password, gln, mobile, role)

    try:
        return list(await asyncio.gather(*(one() for _ in range(count))))
    finally:
        passwords.close()
        await pool.close()


def latest_code(outbox: Path, mobile: str, since_ns: int) -> str | None:
    """The newest SMS code sent to `mobile` since `since_ns`, from the dev outbox's files."""

    def stamp(name: str) -> int:  # `<time_ns>-<uuid>.json`; anything else is not a message
        prefix = name.split("-", 1)[0]
        return int(prefix) if name.endswith(".json") and prefix.isdigit() else -1

    names = sorted(entry.name for entry in os.scandir(outbox) if stamp(entry.name) >= since_ns)
    for name in reversed(names):
        try:
            message = json.loads((outbox / name).read_text())
        except (OSError, ValueError):
            continue
        if message.get("kind") == "sms" and message.get("to") == mobile:
            match = SMS_CODE.search(message.get("body", ""))
            if match:
                return match.group(1)
    return None


class Browser:
    """One physician's browser: a cookie jar and keep-alive connections to the gateway(s)."""

    def __init__(self, base: str, connections: int = 1) -> None:
        self.base = base
        self.session = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # keep cookies for 127.0.0.1, as browsers do
            connector=aiohttp.TCPConnector(limit=connections),
            timeout=aiohttp.ClientTimeout(total=60),
        )

    async def close(self) -> None:
        await self.session.close()

    async def csrf(self, path: str) -> str:
        """The CSRF token of the form on the page at `path`."""
        async with self.session.get(self.base + path, allow_redirects=False) as page:
            match = CSRF_FIELD.search(await page.text())
        if match is None:
            raise RuntimeError(f"no CSRF field on {path} (status {page.status})")
        return match.group(1)

    async def _post(self, path: str, fields: dict[str, str], token: str | None = None, page: bool = False) -> str:
        """The Location of the answer (a 303), or the page answered (a 200, if `page`)."""
        token = token or await self.csrf(path)
        async with self.session.post(
            self.base + path, data={**fields, "csrf_token": token}, headers={"Origin": self.base}, allow_redirects=False
        ) as response:
            text = await response.text()
            if response.status == 200 and page:
                return text
            if response.status != 303:
                raise RuntimeError(f"POST {path} answered {response.status}")
            return response.headers.get("Location", "")

    async def log_in(self, physician: Physician, outbox: Path, timeout: float = 30) -> None:
        if physician.role != "physician":
            return await self._staff_log_in(physician)
        since = time.time_ns()
        if await self._post("/login", {"login": physician.login, "password": physician.password}) != "/login/code":
            raise RuntimeError("the password step did not lead to the code form")
        deadline = time.monotonic() + timeout
        while (code := await asyncio.to_thread(latest_code, outbox, physician.mobile, since)) is None:
            if time.monotonic() > deadline:
                raise RuntimeError("no SMS code arrived in the dev outbox")
            await asyncio.sleep(0.1)
        if (landing := await self._post("/login/code", {"code": code})).startswith("/login"):
            raise RuntimeError(f"the code step led back to {landing}")

    async def _staff_log_in(self, staff: Physician) -> None:
        """A staff member's first login: the password, then the app enrolled from the page's key
        (as typed into an app) and its code."""
        page = await self._post("/login", {"login": staff.login, "password": staff.password}, page=True)
        secret, token = APP_SECRET.search(page), CSRF_FIELD.search(page)
        if secret is None or token is None:
            raise RuntimeError("the password step did not lead to the app's enrolment")
        code = pyotp.TOTP(secret.group(1).replace(" ", "")).now()
        if (landing := await self._post("/login/code", {"code": code}, token.group(1))).startswith("/login"):
            raise RuntimeError(f"the code step led back to {landing}")


async def logged_in_browsers(physicians: list[Physician], base: str, outbox: Path, at_once: int = 5) -> list[Browser]:
    """One logged-in browser per physician (a few logins at a time: each checks an argon2 hash)."""
    limit = asyncio.Semaphore(at_once)
    browsers = [Browser(base) for _ in physicians]

    async def log_in(browser: Browser, physician: Physician) -> None:
        async with limit:
            await browser.log_in(physician, outbox)

    try:
        await asyncio.gather(*(log_in(b, p) for b, p in zip(browsers, physicians, strict=True)))
    except BaseException:
        await asyncio.gather(*(b.close() for b in browsers))
        raise
    return browsers
