"""Composition root of the requests service: `python -m services.requests`.

Consultation requests, tumor-board requests and messaging arrive with their own issue; for
now the service starts, migrates its schema, answers health checks and stops cleanly.
"""

from contextlib import AsyncExitStack

from common.service import Runtime
from common.settings import ServiceSettings
from services.launch import launch


async def setup(runtime: Runtime, stack: AsyncExitStack) -> None:
    """No endpoints yet besides health."""


def main() -> None:
    launch(
        "requests",
        ServiceSettings.from_env("requests"),
        setup,
        "Consultation and tumor-board requests, messaging, service inboxes",
    )


if __name__ == "__main__":
    main()
