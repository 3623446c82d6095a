"""The development outbox: the SMS and emails the dev notify sink wrote to disk, newest first.

Registered only when PORTAL_ENV=dev: it shows one-time codes to whoever asks.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ValidationError

from ..pages import render_page
from ..state import settings_of

log = logging.getLogger(__name__)

SHOWN = 100  # the latest messages are the ones a developer is looking for


class OutboxMessage(BaseModel):
    """One file of the outbox, as the dev sink writes it."""

    kind: Literal["sms", "email"]
    to: str
    subject: str | None = None
    body: str
    received_at: datetime


async def dev_outbox(request: web.Request) -> web.Response:
    """GET /dev/outbox: the messages the portal would have sent."""
    directory = settings_of(request).dev_outbox_dir
    messages = await asyncio.to_thread(read_outbox, directory) if directory else []
    return render_page(request, "dev_outbox.html", {"messages": messages, "configured": directory is not None})


def read_outbox(directory: Path) -> list[OutboxMessage]:
    """The newest messages first; files are named `<epoch_ns>-<uuid>.json`."""
    if not directory.is_dir():
        return []
    files = sorted(directory.glob("*.json"), key=_sent_at, reverse=True)[:SHOWN]
    messages = []
    for path in files:
        try:
            messages.append(OutboxMessage.model_validate(json.loads(path.read_bytes())))
        except (OSError, ValueError, ValidationError):
            log.warning("dev outbox: skipping unreadable file %s", path.name)
    return messages


def _sent_at(path: Path) -> tuple[int, str]:
    prefix = path.name.split("-", 1)[0]
    return (int(prefix) if prefix.isdigit() else 0, path.name)
