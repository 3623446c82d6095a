"""Who owns the audit log: a role other than the one the service runs as.

The schema `audit`, its tables and the trigger that refuses UPDATE, DELETE and TRUNCATE on the
records belong to `audit_owner`. The service's role may only read and append the records and the
checkpoints (and use its outbox and inbox as every service does): it cannot disable the trigger,
drop or alter the table, or create anything in the schema. Only the owner applies the audit's
migrations; the service checks at start-up that they were (common/service.py `migrated_by`).

`python -m services.audit.ownership` applies them and grants the service what it needs: run it
as the owner (`DATABASE_URL` of `audit_owner`), or as a superuser with `--as-owner`, before the
audit service starts, at each upgrade. The dev and test stacks do it in deploy/database.py.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path

import asyncpg

from common.db import Connection
from common.migrate import migrate

SCHEMA = "audit"
OWNER = "audit_owner"
SERVICE_ROLE = "audit"
MIGRATIONS = Path(__file__).parent / "migrations"
HOW = f"the owner of the audit log applies them: python -m services.audit.ownership (as {OWNER})"

APPEND_ONLY = ("records", "checkpoints")
"""Read and appended by the service; nobody changes or removes a row (the trigger refuses it)."""
READ_ONLY = ("schema_migrations",)


def _name(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


async def hand_over(conn: Connection, service_role: str = SERVICE_ROLE, owner: str = OWNER) -> None:
    """As a superuser: the audit schema and everything the service's role created in it (before
    ownership was split) become the owner's; the owner then migrates and grants (`set_up`)."""
    await conn.execute(f"ALTER SCHEMA {_name(SCHEMA)} OWNER TO {_name(owner)}")
    await conn.execute(f"REASSIGN OWNED BY {_name(service_role)} TO {_name(owner)}")
    await conn.execute(f"GRANT USAGE ON SCHEMA {_name(SCHEMA)} TO {_name(service_role)}")
    await conn.execute(f"SET ROLE {_name(owner)}")
    try:
        await set_up(conn, service_role)
    finally:
        await conn.execute("RESET ROLE")


async def set_up(conn: Connection, service_role: str = SERVICE_ROLE) -> list[str]:
    """As the owner: apply the audit's migrations, then give the service's role what it may do
    on each table (and nothing more); return the migrations applied."""
    applied = await migrate(conn, SCHEMA, MIGRATIONS)
    role = _name(service_role)
    tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename", SCHEMA)
    async with conn.transaction():
        for row in tables:
            table = f"{_name(SCHEMA)}.{_name(row['tablename'])}"
            await conn.execute(f"REVOKE ALL ON {table} FROM {role}")
            if row["tablename"] in APPEND_ONLY:
                rights = "SELECT, INSERT"
            elif row["tablename"] in READ_ONLY:
                rights = "SELECT"
            else:
                rights = "SELECT, INSERT, UPDATE, DELETE"
            await conn.execute(f"GRANT {rights} ON {table} TO {role}")
        # nextval() for the serial keys; setval() would need UPDATE, which it does not get.
        await conn.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {_name(SCHEMA)} TO {role}")
    return applied


async def _main(database_url: str, service_role: str, as_owner: bool) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        if as_owner:
            await conn.execute(f"SET ROLE {_name(OWNER)}")
        applied = await set_up(conn, service_role)
    finally:
        await conn.close()
    print(f"audit schema up to date ({len(applied)} migration(s) applied); {service_role} may read and append")


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m services.audit.ownership",
        description="Apply the audit log's migrations as its owner, and grant the service's role what it may do.",
    )
    parser.add_argument("--service-role", default=SERVICE_ROLE, help="the role the audit service runs as")
    parser.add_argument(
        "--as-owner", action="store_true", help=f"connected as a superuser (or a member of {OWNER}): SET ROLE {OWNER}"
    )
    arguments = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        raise SystemExit("configuration error: DATABASE_URL is not set (the DSN of the audit log's owner)")
    asyncio.run(_main(database_url, arguments.service_role, arguments.as_owner))


if __name__ == "__main__":
    main()
