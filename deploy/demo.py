"""Demo data for `make run`: one activated physician, documents the hospital sent them, and a
catalogue of secure applications (served by the partner application stand-in)."""

from __future__ import annotations

import asyncio
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
STAFF_LOGIN = "accueil-cardio"
STAFF_PASSWORD = "portail-accueil-2026"
STAFF_MOBILE = "+41797654322"
STAFF_SERVICES = ("CARDIO", "ONCO-DIG")
"""The demo services whose inbox the demo staff member works."""


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


async def ensure_demo_staff(identity_dsn: str, requests_dsn: str) -> None:
    """A member of the demo services' staff, working the inboxes of STAFF_SERVICES (once the
    requests service has the services the demo hospital published)."""
    conn = await asyncpg.connect(identity_dsn, server_settings={"search_path": "identity"})
    passwords = Passwords()
    try:
        staff = await conn.fetchval("SELECT id FROM accounts WHERE login = $1", STAFF_LOGIN)
        if staff is None:
            await create_account(
                conn,
                passwords,
                login=STAFF_LOGIN,
                password=STAFF_PASSWORD,
                family_name="Accueil",
                given_name="Cardiologie",
                email="accueil-cardio@hopital.example.ch",
                mobile=STAFF_MOBILE,
                role="service_staff",
            )
            staff = await conn.fetchval("SELECT id FROM accounts WHERE login = $1", STAFF_LOGIN)
        admin = await conn.fetchval("SELECT id FROM accounts WHERE login = $1", ADMIN_LOGIN)
    finally:
        passwords.close()
        await conn.close()
    requests = await asyncpg.connect(requests_dsn, server_settings={"search_path": "requests"})
    try:
        for _ in range(100):  # the services arrive through the bus: at most 10 s
            if await requests.fetchval(
                "SELECT count(*) FROM services WHERE code = ANY($1)", list(STAFF_SERVICES)
            ) == len(STAFF_SERVICES):
                break
            await asyncio.sleep(0.1)
        await requests.executemany(
            "INSERT INTO service_members (service, account_id, added_by) SELECT $1, $2, $3 "
            "WHERE EXISTS (SELECT 1 FROM services WHERE code = $1) ON CONFLICT DO NOTHING",
            [(code, staff, admin or staff) for code in STAFF_SERVICES],
        )
    finally:
        await requests.close()
