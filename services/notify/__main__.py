"""`python -m services.notify`: the composition root."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from common import event_loop
from common.service import run_service

from .app import NAME, setup
from .config import NotifySettings


def main() -> None:
    settings = NotifySettings.from_env()
    event_loop.run(
        run_service(
            NAME,
            settings.service,
            Path(__file__).parent / "migrations",
            partial(setup, settings),
            "Email and SMS sent on behalf of the portal",
        )
    )


if __name__ == "__main__":
    main()
