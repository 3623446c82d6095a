"""1b. The ceiling: plain asyncpg inserts of the same rows (a documents row and a 10 KiB
content_chunks row per document), in a scratch schema of the same database, with nothing else:
no bus, no encryption, no delivery rule, no outbox."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from .context import Bench
from .hospital import Outgoing
from .report import rate
from .running_stack import admin_dsn

SCHEMA = "bench_ceiling"
TABLES = """
CREATE TABLE documents (
    document_id text NOT NULL, version integer NOT NULL, episode_id text NOT NULL, patient_id text NOT NULL,
    category text NOT NULL, title text NOT NULL, service text NOT NULL, author text NOT NULL, status text NOT NULL,
    communicating boolean NOT NULL, created_at timestamptz NOT NULL, media_type text NOT NULL, sha256 text NOT NULL,
    size bigint NOT NULL, chunks integer NOT NULL, key_id text NOT NULL, wrapped_key bytea NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (document_id, version)
);
CREATE TABLE content_chunks (
    document_id text NOT NULL, version integer NOT NULL, seq integer NOT NULL, data bytea NOT NULL,
    PRIMARY KEY (document_id, version, seq), FOREIGN KEY (document_id, version) REFERENCES documents (document_id, version)
);
ALTER TABLE content_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
"""
INSERT_DOCUMENT = (
    "INSERT INTO documents (document_id, version, episode_id, patient_id, category, title, service, author, status, "
    "communicating, created_at, media_type, sha256, size, chunks, key_id, wrapped_key) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
)
INSERT_CHUNK = "INSERT INTO content_chunks (document_id, version, seq, data) VALUES ($1, $2, $3, $4)"
SEALED_OVERHEAD = 28  # AES-GCM nonce and tag: what the service stores is this much larger


@dataclass(frozen=True)
class Row:
    document: tuple[object, ...]
    chunk: tuple[object, ...]


def rows_of(messages: list[Outgoing]) -> list[Row]:
    """The rows the documents service writes for these messages (the chunk as large as its ciphertext)."""
    rows = []
    for message in messages:
        body = json.loads(message.payload)
        doc, content = body["document"], body["content"]
        data = base64.b64decode(content["data_b64"])
        document = (
            doc["id"],
            doc["version"],
            body["episode_id"],
            body["patient"]["id"],
            doc["category"],
            doc["title"],
            doc["service"],
            doc["author"],
            doc["status"],
            doc["communicating"],
            datetime.fromisoformat(doc["created_at"]),
            content["media_type"],
            content["sha256"],
            len(data),
            1,
            "k1",
            os.urandom(40),
        )
        rows.append(Row(document, (doc["id"], doc["version"], 0, data + os.urandom(SEALED_OVERHEAD))))
    return rows


async def _fresh_schema(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}")
        await conn.execute(TABLES)


async def pooled_transactions(pool: asyncpg.Pool, rows: list[Row], tasks: int = 64) -> float:
    """Rows per second: `tasks` tasks, one transaction per document (its row, then its chunk)."""
    await _fresh_schema(pool)
    queue = iter(rows)

    async def worker() -> None:
        for row in queue:
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute(INSERT_DOCUMENT, *row.document)
                await conn.execute(INSERT_CHUNK, *row.chunk)

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(tasks)))
    return len(rows) / (time.monotonic() - started)


async def executemany_batches(pool: asyncpg.Pool, rows: list[Row], batch: int = 200) -> float:
    """Rows per second: batches of `batch` documents, one transaction and two executemany each, on every connection."""
    await _fresh_schema(pool)
    batches = iter([rows[i : i + batch] for i in range(0, len(rows), batch)])

    async def worker() -> None:
        for group in batches:
            async with pool.acquire() as conn, conn.transaction():
                await conn.executemany(INSERT_DOCUMENT, [row.document for row in group])
                await conn.executemany(INSERT_CHUNK, [row.chunk for row in group])

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(pool.get_max_size())))
    return len(rows) / (time.monotonic() - started)


async def measure_ceiling(admin_dsn: str, messages: list[Outgoing]) -> dict[str, float]:
    """Both ways, on a pool of 10 with the search path on the scratch schema; dropped afterwards."""
    rows = await asyncio.to_thread(rows_of, messages)
    pool = await asyncpg.create_pool(admin_dsn, min_size=10, max_size=10, server_settings={"search_path": SCHEMA})
    try:
        return {
            "pool of 10, 64 tasks, a transaction per row": await pooled_transactions(pool, rows),
            "pool of 10, executemany batches of 200": await executemany_batches(pool, rows),
        }
    finally:
        async with pool.acquire() as conn:
            await conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        await pool.close()


async def report_ceiling(bench: Bench, messages: list[Outgoing], ingest_rate: float) -> None:
    """The ceiling both ways, the best, and the ratio of the ingest to it."""
    try:
        ceilings = await measure_ceiling(admin_dsn(bench.stack), messages)
    except Exception as exc:
        bench.report.failed("asyncpg ceiling", exc)
        return
    for how, value in ceilings.items():
        bench.report.note(f"asyncpg ceiling, {how}: {value:,.0f} rows/s")
    best = max(ceilings.values())
    bench.report.figure("plain asyncpg insert ceiling (best)", rate(best, "rows/s"))
    bench.report.figure("ratio ingest / ceiling", f"{ingest_rate / best:.2f}")
