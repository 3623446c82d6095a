"""Enough database connections for every copy's pool (issue 10, drill 5 in CI): with two copies of
each service under load, the pools together reached PostgreSQL's default of 100 connections and
pages failed with "too many clients". Each copy's pool is configured; the embedded server holds
two copies of everything."""

from __future__ import annotations

import asyncpg
import pytest

from common.settings import DB_POOL_SIZE, ServiceSettings, SettingsError
from deploy.stack import POSTGRES_MAX_CONNECTIONS, SERVICES, Stack


@pytest.mark.unit
def test_a_copys_pool_size_is_configured_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"NATS_USER": "documents", "NATS_PASSWORD": "x", "DATABASE_URL": "postgresql:///x"}.items():
        monkeypatch.setenv(name, value)
    assert ServiceSettings.from_env("documents").database_pool_size == DB_POOL_SIZE
    monkeypatch.setenv("PORTAL_DB_POOL_SIZE", "25")
    assert ServiceSettings.from_env("documents").database_pool_size == 25
    for wrong in ("0", "-3", "101", "dix"):
        monkeypatch.setenv("PORTAL_DB_POOL_SIZE", wrong)
        with pytest.raises(SettingsError, match="PORTAL_DB_POOL_SIZE"):
            ServiceSettings.from_env("documents")


async def test_the_embedded_database_holds_two_copies_of_every_service_at_their_largest(stack: Stack) -> None:
    if stack.config.admin_database_url:
        pytest.skip("an existing PostgreSQL (DATABASE_URL): its max_connections is its operator's")
    conn = await asyncpg.connect(stack.admin_database_url)
    try:
        allowed = int(await conn.fetchval("SHOW max_connections"))
        reserved = int(await conn.fetchval("SHOW superuser_reserved_connections"))
    finally:
        await conn.close()
    two_copies_at_their_largest = 2 * len(SERVICES) * DB_POOL_SIZE
    assert allowed == POSTGRES_MAX_CONNECTIONS
    assert allowed - reserved >= two_copies_at_their_largest + 10 + 50  # a restart's copy, the tests' own, room
