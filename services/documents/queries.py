"""The documents service's reads for physicians and administrators, one function per query."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import asyncpg

from common.contracts import documents as api
from common.db import Connection, fetch_one
from common.search import contains_pattern


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
    patient_hospital_id: str
    family_name: str
    given_name: str


_DELIVERED_SELECT = (
    "SELECT d.id::text, d.document_id, d.version, d.physician, p.public_id::text AS patient_id, d.title, d.category, "
    "d.service, d.author, d.created_at, d.delivered_at, d.unread, d.current, d.media_type, d.size, "
    "p.family_name || ' ' || p.given_name AS patient_name, p.birth_date AS patient_birth_date, "
    "p.id AS patient_hospital_id, p.family_name, p.given_name "
    "FROM deliveries d JOIN patients p ON p.id = d.patient_id "
)


# A list's rows: a ListedDocument's fields (delivered_at is also the order's).
_LISTED_SELECT = (
    "SELECT d.id::text, p.public_id::text AS patient_id, p.family_name || ' ' || p.given_name AS patient_name, "
    "p.birth_date AS patient_birth_date, p.id AS patient_hospital_id, d.title, d.category, d.service, "
    "d.created_at, d.unread, d.version > 1 AS corrected, d.delivered_at "
    "FROM deliveries d JOIN patients p ON p.id = d.patient_id "
)


def _delivered(row: asyncpg.Record) -> DeliveredDocument:
    return DeliveredDocument(**row)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


class _Where:
    """Conditions and their parameters, numbered as asyncpg wants them (`$?` in a clause)."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.params: list[object] = []

    def add(self, clause: str, *values: object) -> None:
        """A condition; each `$?` in it takes the next of `values`."""
        for value in values:
            self.params.append(value)
            clause = clause.replace("$?", f"${len(self.params)}", 1)
        self.clauses.append(clause)

    def equal(self, column: str, value: str | None) -> None:
        """`column` = `value`, when the filter has one (an empty filter keeps every row)."""
        if value:
            self.add(f"{column} = $?", value)

    def on_days(self, column: str, first: date | None, last: date | None) -> None:
        """`column` within the days from `first` to `last`, both included; either end may stay open."""
        if first:
            self.add(f"{column} >= $?", _day_start(first))
        if last:
            self.add(f"{column} < $?", _day_start(last + timedelta(days=1)))

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
        where.add("d.created_at >= $?", datetime.now(UTC) - timedelta(days=365))
    if query.patient:
        try:
            where.add("d.patient_id = (SELECT id FROM patients WHERE public_id = $?)", uuid.UUID(query.patient))
        except ValueError:
            where.add("false")
    where.on_days("d.created_at", query.created_from, query.created_to)
    where.equal("d.category", query.category)
    where.equal("d.service", query.service)
    if query.patient_name:
        where.add(
            "d.patient_id IN (SELECT id FROM patients WHERE search_name LIKE $?)", contains_pattern(query.patient_name)
        )
    return where


@dataclass(frozen=True)
class Anchors:
    """Where a list's blocks of `every` rows start: the list key of rows 0, every, 2 × every...

    Valid while the list's version (the sum of its tallies' changes) is the one it was read
    with: no delivery entered or left the list, so every row kept its position.
    """

    version: int
    every: int
    keys: list[tuple[datetime, datetime, uuid.UUID]]


@dataclass(frozen=True)
class DocumentListing:
    items: list[asyncpg.Record]  # with every field of a ListedDocument (and a few of the listing's)
    total: int
    services: list[str] | None  # None: the ones the caller knew at this version
    counters: api.UnreadCounters
    version: int  # of the account's list, see Anchors


# The account's tallies (kept by a trigger, see migrations 004 and 006): totals, counters and the
# list's version without counting deliveries.
_TALLIES = (
    "SELECT coalesce(sum(documents), 0) AS documents, coalesce(sum(unread), 0) AS unread, "
    "count(*) FILTER (WHERE unread > 0) AS unread_patients, coalesce(sum(changes), 0)::bigint AS list_version "
    "FROM patient_tallies WHERE account_id = $1"
)
# The services the account has documents from: one index probe per service (a loose index scan).
_SERVICES = (
    "ARRAY(WITH RECURSIVE found AS ("
    " SELECT min(service) AS service FROM deliveries WHERE account_id = $1 AND current"
    " UNION ALL"
    " SELECT (SELECT min(service) FROM deliveries WHERE account_id = $1 AND current AND service > found.service)"
    " FROM found WHERE found.service IS NOT NULL"
    ") SELECT service FROM found WHERE service IS NOT NULL)"
)
# Newest received first ("Received on", migration 008); the document's own date breaks ties.
_LIST_KEY = "(d.delivered_at, d.created_at, d.id)"
_NEWEST_FIRST = "ORDER BY d.delivered_at DESC, d.created_at DESC, d.id DESC"


def _narrowed(query: api.ListDocuments) -> bool:
    return any(
        (
            query.scope == "last_12_months",
            query.patient,
            query.created_from,
            query.created_to,
            query.category,
            query.service,
            query.patient_name,
        )
    )


def _total(where: _Where, query: api.ListDocuments) -> str:
    """How the listing's total is read: from the tallies when no filter narrows it beyond unread."""
    if _narrowed(query):
        return f"(SELECT count(*) FROM deliveries d WHERE {where.sql()})"
    return "t.unread" if query.scope == "unread" or query.unread_only else "t.documents"


def anchorable(query: api.ListDocuments) -> bool:
    """Whether the list's version covers its membership: not when it depends on read marks,
    on today's date or on patients' names, which change without a delivery changing."""
    return not (query.scope in ("unread", "last_12_months") or query.unread_only or query.patient_name)


async def list_anchors(conn: Connection, account_id: str, query: api.ListDocuments, every: int) -> Anchors:
    """Read the list's anchors (one index-only pass over it) with its version, in one snapshot."""
    where = _document_filters(account_id, query)
    n = len(where.params)
    row = await fetch_one(
        conn,
        "SELECT (SELECT coalesce(sum(changes), 0)::bigint FROM patient_tallies WHERE account_id = $1) AS list_version, "
        "array_agg(delivered_at ORDER BY n) AS delivered, array_agg(created_at ORDER BY n) AS created, "
        "array_agg(id ORDER BY n) AS ids "
        f"FROM (SELECT d.created_at, d.delivered_at, d.id, row_number() OVER ({_NEWEST_FIRST}) - 1 AS n "
        f"FROM deliveries d WHERE {where.sql()}) AS listed WHERE n % ${n + 1} = 0",
        *where.params,
        every,
    )
    keys = list(zip(row["delivered"] or [], row["created"] or [], row["ids"] or [], strict=True))
    return Anchors(version=row["list_version"], every=every, keys=keys)


async def document_listing(
    conn: Connection,
    account_id: str,
    query: api.ListDocuments,
    anchors: Anchors | None = None,
    services_version: int | None = None,
) -> DocumentListing:
    """One page of the account's current documents matching the query, newest first, with the total,
    the services, the unread counters and the list's version: one statement, one round trip.

    The page's ids come from an index-only scan in list order, from the anchor before the page
    when `anchors` are given (the caller checks their version against the answer's), so that an
    OFFSET walks at most one block; only the page's rows are then joined. The services are read
    only if the list's version is not `services_version`, the one the caller knows them at.
    """
    where = _document_filters(account_id, query)  # its first parameter ($1) is the account
    total = _total(where, query)  # of the whole list: before the anchor's condition
    offset = (query.page - 1) * query.per_page
    if anchors is not None and anchors.keys:
        block = min(offset // anchors.every, len(anchors.keys) - 1)
        where.add(f"{_LIST_KEY} <= ($?, $?, $?)", *anchors.keys[block])
        offset -= block * anchors.every
    n = len(where.params)
    rows = await conn.fetch(
        f"SELECT {total} AS total, t.unread AS unread_documents, t.unread_patients, t.list_version, "
        f"CASE WHEN t.list_version = ${n + 3} THEN NULL ELSE {_SERVICES} END AS services, r.* FROM ({_TALLIES}) t "
        f"LEFT JOIN LATERAL ({_LISTED_SELECT} WHERE d.id IN (SELECT d.id FROM deliveries d WHERE {where.sql()} "
        f"{_NEWEST_FIRST} LIMIT ${n + 1} OFFSET ${n + 2})) r ON true "
        "ORDER BY r.delivered_at DESC, r.created_at DESC, r.id DESC",
        *where.params,
        query.per_page,
        offset,
        -1 if services_version is None else services_version,
    )
    first = rows[0]  # the tallies' row is always there, with or without documents
    items = rows if first["id"] is not None else []
    return DocumentListing(
        items=items,
        total=first["total"],
        services=None if first["services"] is None else list(first["services"]),
        counters=api.UnreadCounters(documents=first["unread_documents"], patients=first["unread_patients"]),
        version=first["list_version"],
    )


async def delivery_of(conn: Connection, delivery_id: str, account_id: str) -> DeliveredDocument | None:
    """The delivery if it belongs to the account; otherwise None, whether it exists or not."""
    try:
        parsed = uuid.UUID(delivery_id)
    except ValueError:
        return None
    row = await conn.fetchrow(
        f"{_DELIVERED_SELECT} WHERE d.id = $1 AND d.account_id = $2", parsed, uuid.UUID(account_id)
    )
    return None if row is None else _delivered(row)


async def versions_of(conn: Connection, account_id: str, document_id: str) -> list[DeliveredDocument]:
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


async def content_key(conn: Connection, document_id: str, version: int) -> ContentKey:
    row = await fetch_one(
        conn,
        "SELECT key_id, wrapped_key, chunks FROM documents WHERE document_id = $1 AND version = $2",
        document_id,
        version,
    )
    return ContentKey(row["key_id"], bytes(row["wrapped_key"]), row["chunks"])


async def patient_of(conn: Connection, account_id: uuid.UUID, public_id: uuid.UUID) -> asyncpg.Record | None:
    """The patient of that Mes patients id, as the hospital describes them, if the account has a
    current document of theirs (a patient Mes patients lists)."""
    return await conn.fetchrow(
        "SELECT p.id, p.family_name, p.given_name, p.birth_date, p.sex FROM patients p "
        "JOIN patient_tallies t ON t.patient_id = p.id WHERE p.public_id = $1 AND t.account_id = $2 AND t.documents > 0",
        public_id,
        account_id,
    )


async def patients_page(
    conn: Connection, account_id: str, query: api.ListPatients
) -> tuple[list[api.PatientSummary], int]:
    """The account's patients with their counts (from the tallies), the most recent document first."""
    where = _Where()
    where.add("t.account_id = $?", uuid.UUID(account_id))
    where.add("t.documents > 0")
    if query.scope == "with_unread":
        where.add("t.unread > 0")
    if months := api.PATIENTS_PERIOD_MONTHS.get(query.scope):
        where.add("t.last_document_at > now() - make_interval(months => $?)", months)
    if query.name:
        where.add("p.search_name LIKE $?", contains_pattern(query.name))
    page, params = where.page(query.per_page, query.page)
    rows = await conn.fetch(
        "SELECT p.public_id, p.family_name || ' ' || p.given_name AS name, p.birth_date, p.id AS hospital_id, "
        "t.documents, t.unread, "
        "t.last_document_at, count(*) OVER () AS total "
        f"FROM patient_tallies t JOIN patients p ON p.id = t.patient_id WHERE {where.sql()} "
        f"ORDER BY t.last_document_at DESC, p.public_id {page}",
        *params,
    )
    total = (
        rows[0]["total"]
        if rows
        else await conn.fetchval(
            f"SELECT count(*) FROM patient_tallies t JOIN patients p ON p.id = t.patient_id WHERE {where.sql()}",
            *where.params,
        )
    )
    items = [
        api.PatientSummary(
            id=str(row["public_id"]),
            name=row["name"],
            birth_date=row["birth_date"],
            hospital_id=row["hospital_id"],
            documents=row["documents"],
            unread=row["unread"],
            last_document_at=row["last_document_at"],
        )
        for row in rows
    ]
    return items, total


async def unread_counters(conn: Connection, account_id: str) -> api.UnreadCounters:
    row = await fetch_one(conn, _TALLIES, uuid.UUID(account_id))
    return api.UnreadCounters(documents=row["unread"], patients=row["unread_patients"])


async def undelivered_page(conn: Connection, query: api.ListUndelivered) -> tuple[list[api.UndeliveredItem], int]:
    where = _Where()
    where.equal("reason", query.reason)
    where.equal("service", query.service)
    where.on_days("recorded_at", query.recorded_from, query.recorded_to)
    page, params = where.page(query.per_page, query.page)
    rows = await conn.fetch(
        "SELECT document_id, version, service, title, reason, detail, recorded_at FROM undelivered "
        f"WHERE {where.sql()} ORDER BY recorded_at DESC, id DESC {page}",
        *params,
    )
    total = await conn.fetchval(f"SELECT count(*) FROM undelivered WHERE {where.sql()}", *where.params)
    return [api.UndeliveredItem(**dict(row)) for row in rows], total


async def undelivered_services(conn: Connection) -> list[str]:
    rows = await conn.fetch("SELECT DISTINCT service FROM undelivered WHERE service IS NOT NULL ORDER BY service")
    return [row["service"] for row in rows]
