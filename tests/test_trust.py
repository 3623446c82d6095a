"""What tells a physician this is their hospital's portal and their own account (issue 15): the
previous login said once after logging in."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from gateway.locale_formats import LocaleFormats

from .portal import Physicians
from .web import WebClient

LAST_LOGIN = re.compile(r"Dernière connexion le (\S+) à (\d\d:\d\d)<")


async def _landing(web: WebClient) -> str:
    sent = await web.get("/")
    return await (await web.get(sent.headers["Location"]) if sent.status == 303 else sent).text()


async def test_the_previous_login_is_said_once_after_logging_in(physicians: Physicians) -> None:
    doctor = await physicians.create()
    first, second = WebClient(physicians.stack), WebClient(physicians.stack)
    try:
        await first.log_in(doctor)
        assert LAST_LOGIN.search(await _landing(first)) is None  # no earlier login
        assert physicians.pool is not None
        async with physicians.pool.acquire() as conn:
            opened: datetime = await conn.fetchval(
                "UPDATE sessions SET created_at = '2026-01-30 13:05:30+00' WHERE account_id = $1 RETURNING created_at",
                uuid.UUID(doctor.account_id),
            )
        await second.log_in(doctor)
        said = LAST_LOGIN.search(await _landing(second))
        local = opened.astimezone(ZoneInfo("Europe/Zurich"))
        assert local.strftime("%H:%M") == "14:05"  # winter: UTC+1
        assert said is not None and said.groups() == (LocaleFormats("fr").day(local.date()), "14:05")
        assert LAST_LOGIN.search(await _landing(second)) is None  # once
    finally:
        await first.close()
        await second.close()
