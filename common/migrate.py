"""Versioned SQL migrations, applied at start-up; safe when several copies start at once."""

from __future__ import annotations

import logging
from pathlib import Path

import asyncpg

from common.db import Connection

log = logging.getLogger(__name__)

COMMON_MIGRATIONS = Path(__file__).parent / "migrations"


def _migration_files(directory: Path, label: str) -> list[tuple[str, Path]]:
    return [(f"{label}/{path.name}", path) for path in sorted(directory.glob("*.sql"))]


async def migrate(conn: Connection, schema: str, directory: Path) -> list[str]:
    """Apply the common, then the service's, migrations not yet applied in `schema`; return their names."""
    applied: list[str] = []
    async with conn.transaction():
        # One copy migrates at a time; the others wait here, then find nothing left to do.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"migrate:{schema}")
        await conn.execute(f'SET LOCAL search_path TO "{schema}"')
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {row["name"] for row in await conn.fetch("SELECT name FROM schema_migrations")}
        for name, path in _migration_files(COMMON_MIGRATIONS, "common") + _migration_files(directory, schema):
            if name in done:
                continue
            await conn.execute(path.read_text())
            await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
            applied.append(name)
    for name in applied:
        log.info("applied migration %s", name)
    return applied


class MigrationsPending(RuntimeError):
    """The schema is not up to date, and this process may not bring it there (another role owns it)."""


async def check_migrated(conn: Connection, schema: str, directory: Path, how: str) -> None:
    """Raise MigrationsPending, naming the migrations and `how` to apply them, unless every
    migration is applied in `schema`: for a service that reads and writes its schema's tables
    but does not own them, so never changes them."""
    try:
        done = {row["name"] for row in await conn.fetch(f'SELECT name FROM "{schema}".schema_migrations')}
    except asyncpg.UndefinedTableError:
        done = set()
    wanted = _migration_files(COMMON_MIGRATIONS, "common") + _migration_files(directory, schema)
    pending = [name for name, _ in wanted if name not in done]
    if pending:
        raise MigrationsPending(f"migrations not applied in schema {schema}: {', '.join(pending)}; {how}")
