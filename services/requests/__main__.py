"""Composition root of the requests service: `python -m services.requests`.

Consultation requests, tumor-board requests and messaging arrive with their own issue; for
now the service starts, migrates its schema, answers health checks and stops cleanly.
"""

from contextlib import AsyncExitStack
from pathlib import Path

from common import event_loop
from common.service import Runtime, run_service
from common.settings import ServiceSettings


async def setup(runtime: Runtime, stack: AsyncExitStack) -> None:
    """No endpoints yet besides health."""


def main() -> None:
    event_loop.run(
        run_service(
            "requests",
            ServiceSettings.from_env("requests"),
            Path(__file__).parent / "migrations",
            setup,
            "Consultation and tumor-board requests, messaging, service inboxes",
        )
    )


if __name__ == "__main__":
    main()
