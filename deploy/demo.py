"""Demo data for `make run`: one activated physician, and documents the hospital sent them."""
from __future__ import annotations

import asyncpg

from services.identity.accounts import create_physician

from .hospital_sim import DEMO_GLN

DEMO_LOGIN = "demo"
DEMO_PASSWORD = "portail-demo-2026"
DEMO_MOBILE = "+41791234567"


async def ensure_demo_physician(identity_dsn: str) -> bool:
    """Create the demo physician's account unless it exists; True if it was created."""
    conn = await asyncpg.connect(identity_dsn, server_settings={"search_path": "identity"})
    try:
        if await conn.fetchval("SELECT 1 FROM accounts WHERE login = $1", DEMO_LOGIN):
            return False
        await create_physician(
            conn,
            login=DEMO_LOGIN,
            password=DEMO_PASSWORD,
            family_name="Favre",
            given_name="Claire",
            email="claire.favre@cabinet.example.ch",
            mobile=DEMO_MOBILE,
            gln=DEMO_GLN,
        )
        return True
    finally:
        await conn.close()
