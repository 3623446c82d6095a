"""`python -m services.notify`: the composition root."""

from __future__ import annotations

from functools import partial

from services.launch import launch

from .app import NAME, setup
from .config import NotifySettings


def main() -> None:
    settings = NotifySettings.from_env()
    launch(NAME, settings.service, partial(setup, settings), "Email and SMS sent on behalf of the portal")


if __name__ == "__main__":
    main()
