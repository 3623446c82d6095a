"""The documents service's reads for physicians and administrators, one function per query."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import asyncpg

from common.contracts import documents as api

from .store import search_form


@dataclass(frozen=True)
class DeliveredDocument:
    id: str
    document_id: str
    version: int
    physician: str
    patient_id: str
    title: str
    category: str
    service: str
    author: str
    created_at: datetime
    delivered_at: datetime
    unread: bool
    current: bool
    media_type: str
    size: int
    patient_name: str
    patient_birth_date: date


_DELIVERED_SELECT = (
    "SELECT d.id, d.document_id, d.version, d.physician, p.public_id AS patient_id, doc.title, d.category, "
    "d.service, doc.author, d.created_at, d.delivered_at, d.unread, d.current, doc.media_type, doc.size, "
    "p.family_name || ' ' || p.given_name AS patient_name, p.birth_date AS patient_birth_date "
    "FROM deliveries d "
    "JOIN documents doc ON doc.document_id = d.document_id AND doc.version = d.version "
    "JOIN patients p ON p.id = d.patient_id "
)


def _delivered(row: asyncpg.Record) -> DeliveredDocument:
    return DeliveredDocument(**{**dict(row), "id": str(row["id"]), "patient_id": str(row["patient_id"])})


def _like(text: str) -> str:
    """A LIKE pattern finding `text` anywhere, its own wildcards taken literally."""
    escaped = search_form(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


class _Where:
    """Conditions and their parameters, numbered as asyncpg wants them (`$?` in a clause)."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.params: list[object] = []

    def add(self, clause: str, value: object = None) -> None:
        if "$?" in clause:
            self.params.append(value)
            clause = clause.replace("$?", f"${len(self.params)}")
        self.clauses.append(clause)

    def sql(self) -> str:
        return " AND ".join(self.clauses) or "true"

    def page(self, per_page: int, page: int) -> tuple[str, list[object]]:
        """`LIMIT ... OFFSET ...` and all parameters."""
        n = len(self.params)
        return f"LIMIT ${n + 1} OFFSET ${n + 2}", [*self.params, per_page, (page - 1) * per_page]


def _own_current(account_id: str) -> _Where:
    where = _Where()
    where.add("d.account_id = $?", uuid.UUID(account_id))
    where.add("d.current")
    return where


def _document_filters(account_id: str, query: api.ListDocuments) -> _Where:
    where = _own_current(account_id)
    if query.scope == "unread" or query.unread_only:
        where.add("d.unread")
    if query.scope == "last_12_months":
        where.add("d.created_at >= $?", datetime.now(timezone.utc) - timedelta(days=365))
    if query.patient:
        try:
            where.add("d.patient_id = (SELECT id FROM patients WHERE public_id = $?)", uuid.UUID(query.patient))
        except ValueError:
            where.add("false")
    if query.created_from:
        where.add("d.created_at >= $?", _day_start(query.created_from))
    if query.created_to:
        where.add("d.created_at < $?", _day_start(query.created_to + timedelta(days=1)))
    if query.category:
        where.add("d.category = $?", query.category)
    if query.service:
        where.add("d.service = $?", query.service)
    if query.patient_name:
        where.add("d.patient_id IN (SELECT id FROM patients WHERE search_name LIKE $?)", _like(query.patient_name))
    return where


async def deliveries_page(
    conn: asyncpg.Connection, account_id: str, query: api.ListDocuments
) -> tuple[list[DeliveredDocument], int]:
    """One page of the account's current documents matching the query, newest first, and the total."""
    where = _document_filters(account_id, query)
    page, params = where.page(query.per_page, query.page)
    # Page the deliveries' ids first (an index-only scan in list order), then fetch only the page's rows.
    rows = await conn.fetch(
        f"{_DELIVERED_SELECT} WHERE d.id IN (SELECT d.id FROM deliveries d WHERE {where.sql()} "
        f"ORDER BY d.created_at DESC, d.delivered_at DESC {page}) "
        "ORDER BY d.created_at DESC, d.delivered_at DESC",
        *params,
    )
    total = await conn.fetchval(f"SELECT count(*) FROM deliveries d WHERE {where.sql()}", *where.params)
    return [_delivered(row) for row in rows], total


async def services_of(conn: asyncpg.Connection, account_id: str) -> list[str]:
    """The services the account has documents from: one index probe per service (a loose index scan)."""
    rows = await conn.fetch(
        "WITH RECURSIVE found AS ("
        " SELECT min(service) AS service FROM deliveries WHERE account_id = $1 AND current"
        " UNION ALL"
        " SELECT (SELECT min(service) FROM deliveries WHERE account_id = $1 AND current AND service > found.service)"
        " FROM found WHERE found.service IS NOT NULL"
        ") SELECT service FROM found WHERE service IS NOT NULL",
        uuid.UUID(account_id),
    )
    return [row["service"] for row in rows]


async def delivery_of(conn: asyncpg.Connection, delivery_id: str, account_id: str) -> DeliveredDocument | None:
    """The delivery if it belongs to the account; otherwise None, whether it exists or not."""
    try:
        parsed = uuid.UUID(delivery_id)
    except ValueError:
        return None
    row = await conn.fetchrow(f"{_DELIVERED_SELECT} WHERE d.id = $1 AND d.account_id = $2", parsed, uuid.UUID(account_id))
    return None if row is None else _delivered(row)


async def versions_of(conn: asyncpg.Connection, account_id: str, document_id: str) -> list[DeliveredDocument]:
    """Every version of a document the account received, newest first."""
    rows = await conn.fetch(
        f"{_DELIVERED_SELECT} WHERE d.account_id = $1 AND d.document_id = $2 ORDER BY d.version DESC",
        uuid.UUID(account_id),
        document_id,
    )
    return [_delivered(row) for row in rows]


@dataclass(frozen=True)
class ContentKey:
    key_id: str
    wrapped_key: bytes
    chunks: int


async def content_key(conn: asyncpg.Connection, document_id: str, version: int) -> ContentKey:
    row = await conn.fetchrow(
        "SELECT key_id, wrapped_key, chunks FROM documents WHERE document_id = $1 AND version = $2",
        document_id,
        version,
    )
    return ContentKey(row["key_id"], bytes(row["wrapped_key"]), row["chunks"])


async def sealed_chunk(conn: asyncpg.Connection, document_id: str, version: int, seq: int) -> bytes:
    return bytes(
        await conn.fetchval(
            "SELECT data FROM content_chunks WHERE document_id = $1 AND version = $2 AND seq = $3",
            document_id,
            version,
            seq,
        )
    )


async def patients_page(
    conn: asyncpg.Connection, account_id: str, query: api.ListPatients
) -> tuple[list[api.PatientSummary], int]:
    """The account's patients with their counts, the most recent document first."""
    where = _own_current(account_id)
    if query.name:
        where.add("p.search_name LIKE $?", _like(query.name))
    having = {
        "all": "true",
        "with_unread": "count(*) FILTER (WHERE d.unread) > 0",
        "recent": "max(d.created_at) > now() - interval '90 days'",
    }[query.scope]
    grouped = (
        "SELECT p.public_id, p.family_name || ' ' || p.given_name AS name, p.birth_date, count(*) AS documents, "
        "count(*) FILTER (WHERE d.unread) AS unread, max(d.created_at) AS last_document_at "
        f"FROM deliveries d JOIN patients p ON p.id = d.patient_id WHERE {where.sql()} "
        f"GROUP BY p.id HAVING {having}"
    )
    page, params = where.page(query.per_page, query.page)
    rows = await conn.fetch(f"{grouped} ORDER BY last_document_at DESC {page}", *params)
    total = await conn.fetchval(f"SELECT count(*) FROM ({grouped}) AS patients", *where.params)
    items = [
        api.PatientSummary(
            id=str(row["public_id"]),
            name=row["name"],
            birth_date=row["birth_date"],
            documents=row["documents"],
            unread=row["unread"],
            last_document_at=row["last_document_at"],
        )
        for row in rows
    ]
    return items, total


async def unread_counters(conn: asyncpg.Connection, account_id: str) -> api.UnreadCounters:
    row = await conn.fetchrow(
        "SELECT count(*) AS documents, count(DISTINCT patient_id) AS patients FROM deliveries "
        "WHERE account_id = $1 AND current AND unread",
        uuid.UUID(account_id),
    )
    return api.UnreadCounters(documents=row["documents"], patients=row["patients"])


async def undelivered_page(conn: asyncpg.Connection, query: api.ListUndelivered) -> tuple[list[api.UndeliveredItem], int]:
    where = _Where()
    if query.reason:
        where.add("reason = $?", query.reason)
    if query.service:
        where.add("service = $?", query.service)
    if query.recorded_from:
        where.add("recorded_at >= $?", _day_start(query.recorded_from))
    if query.recorded_to:
        where.add("recorded_at < $?", _day_start(query.recorded_to + timedelta(days=1)))
    page, params = where.page(query.per_page, query.page)
    rows = await conn.fetch(
        "SELECT document_id, version, service, title, reason, detail, recorded_at FROM undelivered "
        f"WHERE {where.sql()} ORDER BY recorded_at DESC, id DESC {page}",
        *params,
    )
    total = await conn.fetchval(f"SELECT count(*) FROM undelivered WHERE {where.sql()}", *where.params)
    return [api.UndeliveredItem(**dict(row)) for row in rows], total


async def undelivered_services(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch("SELECT DISTINCT service FROM undelivered WHERE service IS NOT NULL ORDER BY service")
    return [row["service"] for row in rows]
