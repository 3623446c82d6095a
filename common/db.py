"""The database connection type the services annotate with.

A function taking a connection gets either a plain connection or one lent by a pool: asyncpg's
type stubs tell them apart, the code does not need to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

import asyncpg

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
else:
    Connection = asyncpg.Connection


async def fetch_one(conn: Connection, query: str, *args: object) -> asyncpg.Record:
    """The row a query always returns (an aggregate, or a row the caller knows exists)."""
    row = await conn.fetchrow(query, *args)
    if row is None:
        raise LookupError("a row that must exist is missing")
    return row
