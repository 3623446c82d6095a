"""The one place where bus bytes become typed messages, and back."""
from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class MalformedMessage(Exception):
    """Bytes that are not a valid message of the expected type; `reason` never quotes the input."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def decode(model: type[M], data: bytes) -> M:
    """Parse and validate a message; raise MalformedMessage with a reason free of its content."""
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        raise MalformedMessage(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    """Summarise what was wrong, by field and rule, without echoing values (they may be patient data)."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False, include_context=False)[:5]:
        location = ".".join(str(part) for part in error["loc"]) or "message"
        parts.append(f"{location}: {error['msg']}")
    return "; ".join(parts)


def encode(message: BaseModel) -> bytes:
    return message.model_dump_json().encode()
