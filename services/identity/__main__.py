"""Composition root of the identity service: `python -m services.identity`."""

from services.launch import launch

from .app import make_setup
from .config import IdentitySettings


def main() -> None:
    settings = IdentitySettings.from_env()
    launch(
        "identity", settings.service, make_setup(settings), "Accounts, login, sessions, profiles, physician directory"
    )


if __name__ == "__main__":
    main()
