"""Composition root of the requests service: `python -m services.requests`.

The directory of the hospital's services (dpi.services) so far; consultation and tumor-board
requests and messaging come next (issue 13).
"""

from common.settings import ServiceSettings
from services.launch import launch

from .app import setup


def main() -> None:
    launch(
        "requests",
        ServiceSettings.from_env("requests"),
        setup,
        "Consultation and tumor-board requests, messaging, service inboxes",
    )


if __name__ == "__main__":
    main()
