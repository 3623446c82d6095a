"""How a back-end service's `__main__` runs it: `launch` with its settings and its setup."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path

from common import event_loop
from common.service import Runtime, run_service
from common.settings import ServiceSettings


def launch(
    name: str,
    settings: ServiceSettings,
    setup: Callable[[Runtime, AsyncExitStack], Awaitable[None]],
    description: str,
    migrated_by: str | None = None,
) -> None:
    """Run services/<name> until SIGTERM or SIGINT, its schema migrated from services/<name>/migrations
    (by the service itself, or by `migrated_by`: the service then checks that it was)."""
    migrations = Path(__file__).parent / name / "migrations"
    event_loop.run(run_service(name, settings, migrations, setup, description, migrated_by))
