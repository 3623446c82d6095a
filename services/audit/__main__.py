"""`python -m services.audit`: the composition root."""

from __future__ import annotations

from services.launch import launch

from .app import NAME, setup
from .config import AuditSettings


def main() -> None:
    settings = AuditSettings.from_env()
    launch(NAME, settings.service, setup, "The append-only, tamper-evident audit log, forwarded to the hospital")


if __name__ == "__main__":
    main()
