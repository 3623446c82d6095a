"""The hostile web suite's callers: created once, shared by its modules."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from deploy.stack import Stack

from ..portal import Physicians
from .callers import ROLES, Caller


@pytest.fixture(scope="session")
async def callers(stack: Stack, physicians: Physicians) -> AsyncIterator[dict[str, Caller]]:
    """The anonymous and a session of each role, by name."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        everyone = [Caller(stack, physicians, http, None), *(Caller(stack, physicians, http, role) for role in ROLES)]
        try:
            yield {caller.name: caller for caller in everyone}
        finally:
            for caller in everyone:
                await caller.close()
