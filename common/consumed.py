"""What a durable consumer handles, and the rules on one message: routes by subject, messages
decoded or not, the handlers of a batch and of a rejection, a message worn out by redeliveries,
a rejection's reason as a metric label."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from nats.aio.msg import Msg
from pydantic import BaseModel

from .codec import MalformedMessage

log = logging.getLogger(__name__)

MAX_DELIVERIES = 50
"""A message delivered this often without being settled keeps killing the processes that take it."""


@dataclass(frozen=True)
class Route:
    model: type[BaseModel]
    handle: Callable[[Any], Awaitable[None]]
    key: Callable[[Any], Hashable] | None = None
    """Messages with the same key are handled one after the other, in stream order; others in parallel."""


class Elsewhere(BaseModel):
    """A message of the stream that another service's consumer handles: not read here."""


async def _leave_it(message: BaseModel) -> None:
    """Nothing: the other service's own consumer of the stream takes it (and rejects it if bad)."""


ELSEWHERE = Route(Elsewhere, _leave_it)
"""The route of a subject this consumer sees but another service handles: acknowledged unread."""


BatchHandler = Callable[[list[tuple[str, BaseModel]]], Awaitable[None]]
"""Handles readable messages at once (one transaction), as (subject, message), in stream order:
every message of a fetch (`handle_batch`), or the run of one key's messages in it (`handle_group`)."""

RejectHandler = Callable[[str, str | None, str], Awaitable[None]]
"""Called with (subject, event_id when readable, reason) for a message that cannot be processed;
it must commit the rejection's record (or raise): the message is acknowledged after it returns."""

Decoded = tuple[Route, BaseModel] | MalformedMessage


def readable_event_id(data: bytes) -> str | None:
    """The `event_id` of a message that failed validation, when it can still be read."""
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    event_id = value.get("event_id") if isinstance(value, dict) else None
    readable = isinstance(event_id, str) and 0 < len(event_id) <= 200 and event_id.isprintable()
    return event_id if readable else None  # a NUL (or a lone surrogate) could not even be recorded


def printable(text: str) -> str:
    """`text` with what is not printable escaped (`\\x00`): a subject as a rejection records, logs and
    reports it (PostgreSQL refuses a NUL, and a terminal obeys an escape sequence)."""
    return "".join(character if character.isprintable() else ascii(character)[1:-1] for character in text)


REJECTION_REASONS = ("invalid", "unknown_subject", "processing_failed")
"""Every value of `reason_label`."""


def reason_label(reason: str) -> str:
    """A rejection's reason as a metric label (few values; the reason itself names fields)."""
    if reason == "unknown subject":
        return "unknown_subject"
    if reason.startswith("processing failed"):
        return "processing_failed"
    return "invalid"


def worn_out(msg: Msg) -> bool:
    """Delivered so often that it must be what keeps killing the processes that take it."""
    return msg.metadata.num_delivered > MAX_DELIVERIES


async def quietly(action: Awaitable[Any]) -> None:
    """An ack or nak whose loss is harmless (the message comes back and changes nothing)."""
    try:
        await action
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.debug("ack not sent (%s)", type(exc).__name__)
