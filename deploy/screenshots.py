"""`make screenshots`: Mes documents as the demo physician sees it, on a desktop (1366×768) and on a
phone (390×844), in French and German, saved as PNG files in docs/screenshots/ for the README.

It starts a demo stack of its own as `make run` does (the same demo data, `deploy.dev.seed_demo`),
in a fresh directory on free ports so that it never meets a running `make run`; logs in as the
demo physician in Chromium (password, then the SMS code from the dev outbox); and stops all it
started. A language the gateway does not offer (yet) is left out, and said so.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from playwright.async_api import Browser, Page, ViewportSize, async_playwright

from .demo import DEMO_LOGIN, DEMO_MOBILE, DEMO_PASSWORD
from .dev import seed_demo
from .hospital_sim import DEMO_GLN, publish_demo
from .ports import free_port
from .stack import REPO, Stack, StackConfig

OUT_DIR = REPO / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
LANGUAGES = {"fr": "fr-CH", "de": "de-CH"}  # the portal's language, and the browser's
SIZES = {"desktop": ViewportSize(width=1366, height=768), "phone": ViewportSize(width=390, height=844)}
EXTRA_EPISODES = 3  # besides `make run`'s one: a list as a physician's usually is, several patients
DEADLINE = 60.0  # seconds for anything to happen (documents to arrive, the code, a page)

T = TypeVar("T")


async def _eventually(check: Callable[[], Awaitable[T | None]], what: str) -> T:
    """Poll `check` until it returns something, or stop at the deadline."""
    deadline = time.monotonic() + DEADLINE
    while (result := await check()) is None:
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshots: {what} did not happen within {DEADLINE:.0f} s")
        await asyncio.sleep(0.2)
    return result


def _sms_code(outbox: Path, since_ns: int) -> str | None:
    """The login code of the latest SMS to the demo physician since `since_ns`, from the dev outbox."""
    for path in sorted(outbox.glob("*.json"), reverse=True):
        if int(path.name.split("-")[0]) < since_ns:
            break
        message = json.loads(path.read_text())
        if message["kind"] == "sms" and message["to"] == DEMO_MOBILE:
            found = re.search(r"\b(\d{6})\b", message["body"])
            return found.group(1) if found else None
    return None


async def _log_in(page: Page, stack: Stack) -> None:
    base = stack.config.public_url
    await page.goto(f"{base}/login")
    since = time.time_ns()
    await page.locator("#login").fill(DEMO_LOGIN)
    await page.locator("#password").fill(DEMO_PASSWORD)
    await page.locator("#password").press("Enter")
    await page.wait_for_url(f"{base}/login/code", timeout=DEADLINE * 1000)

    async def code() -> str | None:
        return _sms_code(stack.outbox_dir, since)

    await page.locator("#code").fill(await _eventually(code, "the SMS code"))
    await page.locator("#code").press("Enter")
    await page.wait_for_url(f"{base}/documents", timeout=DEADLINE * 1000)


async def _all_documents_listed(page: Page, url: str, count: int) -> None:
    """Mes documents once the hospital's documents have all arrived (they come through the bus)."""

    async def listed() -> bool | None:
        await page.goto(url)
        return True if await page.locator("main tbody tr").count() >= count else None

    await _eventually(listed, f"{count} documents in Mes documents")


async def _shoot(browser: Browser, stack: Stack, documents: int) -> list[Path]:
    base = stack.config.public_url
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    # One login (each sends an SMS code, and codes are limited per account), its session in every context.
    first = await browser.new_context()
    try:
        await _log_in(await first.new_page(), stack)
        session = await first.storage_state()
    finally:
        await first.close()
    saved = []
    for language, browser_locale in LANGUAGES.items():
        for size, viewport in SIZES.items():
            phone = size == "phone"
            context = await browser.new_context(
                locale=browser_locale,
                viewport=viewport,
                is_mobile=phone,
                has_touch=phone,
                reduced_motion="reduce",
                storage_state=session,
            )
            try:
                page = await context.new_page()
                chosen = await page.goto(f"{base}/lang/{language}?next=/documents")
                if chosen is None or not chosen.ok:
                    print(f"screenshots: the gateway offers no {language!r} (gateway/i18n.py LOCALES): left out")
                    break
                await _all_documents_listed(page, f"{base}/documents", documents)
                await page.evaluate("document.fonts.ready.then(() => true)")
                path = OUT_DIR / f"mes-documents-{size}-{language}.png"
                await page.screenshot(path=str(path), animations="disabled", caret="hide")
                saved.append(path)
                print(f"screenshots: {path.relative_to(REPO)}")
            finally:
                await context.close()
    return saved


async def run() -> list[Path]:
    random.seed(15)  # the same demo patients and titles each time
    with tempfile.TemporaryDirectory(prefix="portal-screenshots-") as var_dir:
        stack = Stack(
            StackConfig(
                var_dir=Path(var_dir),
                environment="dev",  # the dev outbox, where the SMS code goes
                ephemeral=True,
                http_port=free_port(),
                nats_port=free_port(),
                smtp_port=free_port(),
                sms_port=free_port(),
                partner_app_port=free_port(),
                log_level="WARNING",
            )
        )
        try:
            print("screenshots: starting the demo stack…", flush=True)
            await stack.start_infrastructure()
            stack.write_env_files()
            await stack.start_all()
            await seed_demo(stack)  # the demo physician, with `make run`'s 3 documents
            hospital = await stack.connect_nats("hospital")
            try:
                for _ in range(EXTRA_EPISODES):
                    await publish_demo(hospital.jetstream(), DEMO_GLN, 2)
            finally:
                await hospital.close()
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    return await _shoot(browser, stack, 3 + 2 * EXTRA_EPISODES)
                finally:
                    await browser.close()
        finally:
            stack.stop_all()


def main() -> None:
    saved = asyncio.run(run())
    if not saved:
        sys.exit("screenshots: none saved")


if __name__ == "__main__":
    main()
