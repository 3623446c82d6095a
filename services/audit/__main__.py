"""`python -m services.audit`: the composition root."""

from __future__ import annotations

from pathlib import Path

from common import event_loop
from common.service import run_service

from .app import NAME, setup
from .config import AuditSettings


def main() -> None:
    settings = AuditSettings.from_env()
    event_loop.run(
        run_service(
            NAME,
            settings.service,
            Path(__file__).parent / "migrations",
            setup,
            "The append-only, tamper-evident audit log, forwarded to the hospital",
        )
    )


if __name__ == "__main__":
    main()
