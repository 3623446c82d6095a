"""Log configuration shared by every process (never log patient data, secrets or codes)."""
from __future__ import annotations

import logging


def configure_logging(level: str, name: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format=f"%(asctime)s {name} %(levelname)s %(name)s: %(message)s",
    )
