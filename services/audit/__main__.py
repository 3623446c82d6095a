"""`python -m services.audit`: the composition root."""

from __future__ import annotations

from services.launch import launch

from . import ownership
from .app import NAME, make_setup
from .config import AuditSettings


def main() -> None:
    settings = AuditSettings.from_env()
    launch(
        NAME,
        settings.service,
        make_setup(settings),
        "The append-only, tamper-evident audit log, forwarded to the hospital",
        migrated_by=ownership.HOW,
    )


if __name__ == "__main__":
    main()
