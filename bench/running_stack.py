"""The whole portal, started for the benchmark in a temporary directory on free ports, as the tests do."""

from __future__ import annotations

import contextlib
import logging
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg

from deploy.database import with_database
from deploy.stack import PROCESS_MODULES, Stack, StackConfig, free_port

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def running_stack(log_level: str = "INFO") -> AsyncIterator[tuple[Stack, list[str]]]:
    """Start PostgreSQL, NATS and every process; yield the stack and what failed to start.

    A gateway that does not start is reported rather than fatal: the measurements that do not
    need it still run. Everything is stopped on the way out, whatever happens (Ctrl-C included).
    """
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as directory:
        var_dir = Path(directory)
        var_dir.chmod(0o755)  # the embedded PostgreSQL runs as its own user when we are root
        config = StackConfig(
            var_dir=var_dir,
            environment="dev",
            ephemeral=True,
            http_port=free_port(),
            nats_port=free_port(),
            smtp_port=free_port(),
            sms_port=free_port(),
            database=f"portal_bench_{uuid.uuid4().hex[:8]}",
            log_level=log_level,
        )
        stack = Stack(config)
        problems: list[str] = []
        try:
            await stack.start_infrastructure()
            others = [process for process in PROCESS_MODULES if process != "gateway"]
            await stack.start_all(others)
            try:
                await stack.start_all(["gateway"])
            except (RuntimeError, TimeoutError) as exc:
                stack.stop_process("gateway")
                problems.append(f"gateway did not start: {exc}; last lines of its log:\n{tail(stack, 'gateway')}")
            yield stack, problems
        finally:
            stack.stop_all()


def tail(stack: Stack, process: str, lines: int = 8) -> str:
    path = stack.log_dir / f"{process}.log"
    try:
        return "\n".join("      " + line for line in path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "      (no log)"


def admin_dsn(stack: Stack) -> str:
    """The superuser's DSN on the stack's own database (for the scratch schema of the ceiling)."""
    return with_database(stack.admin_database_url, stack.config.database)


async def documents_pool(stack: Stack, size: int = 4) -> asyncpg.Pool:
    """The documents service's schema, as its own role sees it."""
    return await asyncpg.create_pool(
        stack.service_dsns["documents"], min_size=1, max_size=size, server_settings={"search_path": "documents"}
    )


async def vacuum(stack: Stack, table: str | None = None) -> None:
    """VACUUM (ANALYZE) a table (or the whole database) as the superuser: what autovacuum would do
    shortly after a load, which would otherwise take CPU from the measurement after it."""
    admin = await asyncpg.connect(admin_dsn(stack))
    try:
        await admin.execute(f"VACUUM (ANALYZE) {table or ''}")
    finally:
        await admin.close()


@contextlib.asynccontextmanager
async def requests_connection(stack: Stack) -> AsyncIterator[asyncpg.Connection]:
    """The requests service's schema, as its own role sees it."""
    conn = await asyncpg.connect(stack.service_dsns["requests"], server_settings={"search_path": "requests"})
    try:
        yield conn
    finally:
        await conn.close()
