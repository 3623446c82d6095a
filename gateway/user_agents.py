"""The browser and system a login comes from, read from its User-Agent with ua-parser (the
Browserscope rules): what the security page shows of each session. Only the family and major
version are kept, never the raw string."""

from __future__ import annotations

import asyncio

from aiohttp import web
from ua_parser import parse

from common.contracts.identity import SeenDevice

MAX_LENGTH = 512
"""Longer User-Agents are cut here: the rules' regular expressions read no more."""
_FIELD_MAX = 60  # SeenDevice's bounds
_UNKNOWN = "Other"  # ua-parser's family for what its rules do not know


def seen_device(user_agent: str) -> SeenDevice:
    """("Chrome 131", "Mac OS X") for a desktop Chrome; "" for what the rules do not know."""
    parsed = parse(user_agent[:MAX_LENGTH])
    browser = system = ""
    if parsed.user_agent is not None and parsed.user_agent.family != _UNKNOWN:
        browser = " ".join(part for part in (parsed.user_agent.family, parsed.user_agent.major) if part)
    if parsed.os is not None and parsed.os.family != _UNKNOWN:
        system = parsed.os.family
    return SeenDevice(browser=browser[:_FIELD_MAX], system=system[:_FIELD_MAX])


async def seen_from(request: web.Request) -> SeenDevice:
    """The request's browser and system (parsed off the event loop: the rules compile at first use)."""
    return await asyncio.to_thread(seen_device, request.headers.get("User-Agent", ""))
