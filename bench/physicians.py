"""Physicians for the benchmark: accounts created in identity's schema (as the tests do), and
logged in over HTTP through the gateway like a browser (CSRF token from the form, SMS code from
the dev outbox), keeping their cookies."""

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
from stdnum import ean

from deploy.stack import Stack
from services.identity.accounts import create_account
from services.identity.passwords import Passwords

CSRF_FIELD = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
SMS_CODE = re.compile(r"\b(\d{6})\b")


@dataclass(frozen=True)
class Physician:
    account_id: str
    login: str
    password: str
    gln: str
    mobile: str

    @property
    def key(self) -> str:
        """How the documents service names the physician ("gln:...")."""
        return f"gln:{self.gln}"


def random_gln() -> str:
    body = "760" + "".join(random.choice("0123456789") for _ in range(9))
    return body + ean.calc_check_digit(body)


def random_mobile() -> str:
    return "+4179" + "".join(random.choice("0123456789") for _ in range(7))


async def create_physicians(stack: Stack, count: int) -> list[Physician]:
    """Active physician accounts, each with its own GLN and mobile number."""
    pool = await asyncpg.create_pool(
        stack.service_dsns["identity"], min_size=1, max_size=4, server_settings={"search_path": "identity"}
    )
    passwords = Passwords()

    async def one() -> Physician:
        login, password = f"bench-{uuid.uuid4().hex[:10]}", f"pw-{uuid.uuid4().hex}"
        gln, mobile = random_gln(), random_mobile()
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
                gln=gln,
            )
        return Physician(account_id, login, password, gln, mobile)

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

    async def _csrf(self, path: str) -> str:
        async with self.session.get(self.base + path, allow_redirects=False) as page:
            match = CSRF_FIELD.search(await page.text())
        if match is None:
            raise RuntimeError(f"no CSRF field on {path} (status {page.status})")
        return match.group(1)

    async def _post(self, path: str, fields: dict[str, str]) -> str:
        token = await self._csrf(path)
        async with self.session.post(
            self.base + path, data={**fields, "csrf_token": token}, headers={"Origin": self.base}, allow_redirects=False
        ) as response:
            await response.read()
            if response.status != 303:
                raise RuntimeError(f"POST {path} answered {response.status}")
            return response.headers.get("Location", "")

    async def log_in(self, physician: Physician, outbox: Path, timeout: float = 30) -> None:
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
