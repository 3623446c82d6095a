"""Composition root of the identity service: `python -m services.identity`."""

from pathlib import Path

from common import event_loop
from common.service import run_service

from .app import make_setup
from .config import IdentitySettings


def main() -> None:
    settings = IdentitySettings.from_env()
    event_loop.run(
        run_service(
            "identity",
            settings.service,
            Path(__file__).parent / "migrations",
            make_setup(settings),
            "Accounts, login, sessions, profiles, physician directory",
        )
    )


if __name__ == "__main__":
    main()
