"""Demo data for `make run`: one activated physician, documents the hospital sent them, and a
catalogue of secure applications (served by the partner application stand-in)."""

from __future__ import annotations

import uuid

import asyncpg

from services.identity.accounts import create_account
from services.identity.passwords import Passwords

from .hospital_sim import DEMO_GLN

DEMO_LOGIN = "demo"
DEMO_PASSWORD = "portail-demo-2026"
DEMO_MOBILE = "+41791234567"
ADMIN_LOGIN = "admin"
ADMIN_PASSWORD = "portail-admin-2026"
ADMIN_MOBILE = "+41797654321"


async def ensure_demo_physician(identity_dsn: str) -> bool:
    """Create the demo physician's account unless it exists; True if it was created."""
    conn = await asyncpg.connect(identity_dsn, server_settings={"search_path": "identity"})
    passwords = Passwords()
    try:
        if await conn.fetchval("SELECT 1 FROM accounts WHERE login = $1", DEMO_LOGIN):
            return False
        await create_account(
            conn,
            passwords,
            login=DEMO_LOGIN,
            password=DEMO_PASSWORD,
            family_name="Favre",
            given_name="Claire",
            email="claire.favre@cabinet.example.ch",
            mobile=DEMO_MOBILE,
            gln=DEMO_GLN,
        )
        if not await conn.fetchval("SELECT 1 FROM accounts WHERE login = $1", ADMIN_LOGIN):
            await create_account(
                conn,
                passwords,
                login=ADMIN_LOGIN,
                password=ADMIN_PASSWORD,
                family_name="Portail",
                given_name="Administration",
                email="portail-admin@hopital.example.ch",
                mobile=ADMIN_MOBILE,
                role="admin",
            )
        return True
    finally:
        passwords.close()
        await conn.close()


DEMO_APPLICATIONS = (
    ("oncologie", "Oncologie", "Suivi des traitements oncologiques de vos patients.", False),
    ("imagerie", "Imagerie", "Images et comptes rendus de radiologie.", False),
    ("depistage", "Dépistage du cancer", "Programme cantonal de dépistage, selon sa charte d'accès.", True),
)


async def ensure_demo_applications(identity_dsn: str, partner_url: str) -> None:
    """The demo catalogue, unless there is one; the screening application needs an enrolment."""
    conn = await asyncpg.connect(identity_dsn, server_settings={"search_path": "identity"})
    try:
        if await conn.fetchval("SELECT 1 FROM applications LIMIT 1"):
            return
        await conn.executemany(
            "INSERT INTO applications (id, slug, name, description, url, needs_enrolment, asked_at_registration) "
            "VALUES ($1, $2, $3, $4, $5, $6, $6)",  # screening, the one the registration form's box asks for
            [
                (uuid.uuid4(), slug, name, text, f"{partner_url}/{slug}", enrol)
                for slug, name, text, enrol in DEMO_APPLICATIONS
            ],
        )
    finally:
        await conn.close()
