"""Log configuration shared by every process (never log patient data, secrets or codes)."""

from __future__ import annotations

import logging


def configure_logging(level: str, name: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format=f"%(asctime)s {name} %(levelname)s %(name)s: %(message)s",
    )
    # asyncpg's pool logs a traceback each second while the database is away; the outage is
    # logged once, when it starts and when it ends (common/outages.py).
    logging.getLogger("asyncpg.pool").setLevel(logging.ERROR)
