"""`<service>.health`, answered by every service: live (it answers), and whether it is ready to
take work, with each check."""

from __future__ import annotations

from .base import Empty, Endpoint, Message


class Health(Message):
    service: str
    status: str  # "ok" when ready, else "not_ready"
    ready: bool
    checks: dict[str, str]


def check_health(service: str) -> Endpoint[Empty, Health]:
    return Endpoint(f"{service}.health", Empty, Health)
