"""Database provisioning for dev and tests: one role and one schema per service.

In production a DBA does the same once (see README): each service connects as its own role,
owns its schema, and cannot read another service's tables. The audit log is the exception: its
schema belongs to `audit_owner`, which applies its migrations here, and the audit service's role
may only read and append it (services/audit/ownership.py).
"""

from __future__ import annotations

import secrets
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

from services.audit import ownership

from .nats_accounts import SERVICES

SCHEMA_OWNERS = {"audit": ownership.OWNER}
"""A schema whose owner is not the service's own role (the role is created here, without login)."""


def with_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def service_dsn(admin_dsn: str, database: str, role: str, password: str) -> str:
    """The admin DSN with the service's role, password and database put in."""
    parts = urlsplit(admin_dsn)
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{quote(role)}:{quote(password)}@{host}"
    return urlunsplit((parts.scheme, netloc, f"/{database}", parts.query, parts.fragment))


async def provision(admin_dsn: str, database: str, passwords: dict[str, str] | None = None) -> dict[str, str]:
    """Create the database, a login role and an owned schema per service; return each service's DSN."""
    passwords = dict(passwords or {})
    admin = await asyncpg.connect(admin_dsn)
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
            await admin.execute(f'CREATE DATABASE "{database}"')
        for service in SERVICES:
            password = passwords.setdefault(service, secrets.token_urlsafe(24))
            exists = await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", service)
            verb = "ALTER" if exists else "CREATE"
            await admin.execute(f"{verb} ROLE \"{service}\" LOGIN PASSWORD '{password}'")
        for owner in SCHEMA_OWNERS.values():
            if not await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", owner):
                await admin.execute(f'CREATE ROLE "{owner}" NOLOGIN')
    finally:
        await admin.close()

    db = await asyncpg.connect(with_database(admin_dsn, database))
    try:
        await db.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
        await db.execute(f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC')
        for service in SERVICES:
            owner = SCHEMA_OWNERS.get(service, service)
            await db.execute(f'CREATE SCHEMA IF NOT EXISTS "{service}" AUTHORIZATION "{owner}"')
            await db.execute(f'GRANT CONNECT ON DATABASE "{database}" TO "{service}"')
        # The audit log's owner applies its migrations before the service starts.
        await ownership.hand_over(db, "audit", SCHEMA_OWNERS["audit"])
    finally:
        await db.close()
    return {service: service_dsn(admin_dsn, database, service, passwords[service]) for service in SERVICES}


async def drop_database(admin_dsn: str, database: str) -> None:
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await admin.close()
