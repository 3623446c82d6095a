"""The documents service's writes, one function per statement (reads are in queries.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from common.contracts.hospital import DesignationMessage, DocumentMessage, Patient
from common.db import Connection
from common.sealed.chunks import StoredContent
from common.search import search_form

from .delivery import Designation


async def claim_event_of_episode(conn: Connection, event_id: str, subject: str, episode_id: str) -> bool:
    """`lock_episode` then `claim_event`, in one round trip."""
    return (
        await conn.fetchval(
            "WITH locked AS (SELECT pg_advisory_xact_lock(hashtext($3))) "
            "INSERT INTO inbox (event_id, subject) SELECT $1, $2 FROM locked ON CONFLICT DO NOTHING RETURNING true",
            event_id,
            subject,
            f"episode:{episode_id}",
        )
        is not None
    )


async def lock_episode(conn: Connection, episode_id: str) -> None:
    """Serialize, across copies, what happens to one episode until the end of the transaction."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"episode:{episode_id}")


async def upsert_patient(conn: Connection, patient: Patient) -> None:
    await conn.execute(
        "INSERT INTO patients (id, family_name, given_name, search_name, birth_date, sex) "
        "VALUES ($1, $2, $3, $4, $5, $6) "
        "ON CONFLICT (id) DO UPDATE SET family_name = $2, given_name = $3, search_name = $4, birth_date = $5, "
        "sex = $6, updated_at = now() "
        "WHERE (patients.family_name, patients.given_name, patients.birth_date, patients.sex) "
        "IS DISTINCT FROM ($2, $3, $5, $6)",
        patient.id,
        patient.family_name,
        patient.given_name,
        search_form(f"{patient.family_name} {patient.given_name}"),
        patient.birth_date,
        patient.sex,
    )


async def record_designation(conn: Connection, message: DesignationMessage) -> None:
    """Keep the newest state of the designation; an older message arriving late changes nothing."""
    await conn.execute(
        "INSERT INTO designations (episode_id, physician, patient_id, episode_kind, episode_service, active, "
        "electronic_consent, recorded_at, event_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
        "ON CONFLICT (episode_id, physician) DO UPDATE SET active = $6, electronic_consent = $7, "
        "recorded_at = $8, event_id = $9, episode_kind = $4, episode_service = $5 "
        "WHERE designations.recorded_at <= $8",
        message.episode.id,
        message.physician.key,
        message.patient.id,
        message.episode.kind,
        message.episode.service,
        message.action == "designate",
        message.electronic_consent,
        message.recorded_at,
        message.event_id,
    )


async def designations_of(conn: Connection, episode_id: str) -> list[Designation]:
    rows = await conn.fetch(
        "SELECT physician, active, electronic_consent FROM designations WHERE episode_id = $1 ORDER BY physician",
        episode_id,
    )
    return [Designation(row["physician"], row["active"], row["electronic_consent"]) for row in rows]


_INSERT_DOCUMENT = (
    "INSERT INTO documents (document_id, version, episode_id, patient_id, category, title, service, author, "
    "status, communicating, created_at, media_type, sha256, size, chunks, key_id, wrapped_key) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $16, $17, $14, $15) "
    "ON CONFLICT DO NOTHING RETURNING document_id, version"
)


async def insert_document(
    conn: Connection,
    message: DocumentMessage,
    key_id: str,
    wrapped_key: bytes,
    size: int,
    chunks: int,
    only_chunk: bytes | None = None,
) -> bool:
    """The document's row, before its chunks (they refer to it); False if this version exists already.

    `only_chunk`, the sealed content when it is a single chunk, is written in the same statement.
    """
    doc = message.document
    if only_chunk is None:
        query, extra = _INSERT_DOCUMENT, tuple[bytes, ...]()
    else:
        query = (
            f"WITH stored AS ({_INSERT_DOCUMENT}) INSERT INTO content_chunks (document_id, version, seq, data) "
            "SELECT document_id, version, 0, $18 FROM stored RETURNING document_id, version"
        )
        extra = (only_chunk,)
    inserted = await conn.fetchval(
        query,
        doc.id,
        doc.version,
        message.episode_id,
        message.patient.id,
        doc.category,
        doc.title,
        doc.service,
        doc.author,
        doc.status,
        doc.communicating,
        doc.created_at,
        message.content.media_type.lower(),
        message.content.sha256.lower(),
        key_id,
        wrapped_key,
        size,
        chunks,
        *extra,
    )
    return inserted is not None


async def set_content_size(conn: Connection, document_id: str, version: int, stored: StoredContent) -> None:
    await conn.execute(
        "UPDATE documents SET size = $3, chunks = $4 WHERE document_id = $1 AND version = $2",
        document_id,
        version,
        stored.size,
        stored.chunks,
    )


async def insert_delivery(
    conn: Connection,
    document_id: str,
    version: int,
    account_id: str,
    physician: str,
    manual_sent_by: str | None = None,
    patient_authorization: str | None = None,
) -> datetime | None:
    """Deliver a version to an account, as its current version unless it already has a newer one.

    Returns the delivery time, or None if this version was already delivered to the account.
    """
    delivered_at: datetime | None = await conn.fetchval(
        "INSERT INTO deliveries (id, document_id, version, account_id, physician, patient_id, created_at, category, "
        "service, title, author, media_type, size, current, manual_sent_by, patient_authorization) "
        "SELECT $1, d.document_id, d.version, $4, $5, d.patient_id, d.created_at, d.category, d.service, "
        "d.title, d.author, d.media_type, d.size, "
        "NOT EXISTS (SELECT 1 FROM deliveries o WHERE o.account_id = $4 AND o.document_id = $2 AND o.version > $3), "
        "$6, $7 FROM documents d WHERE d.document_id = $2 AND d.version = $3 "
        "ON CONFLICT DO NOTHING RETURNING delivered_at",
        uuid.uuid4(),
        document_id,
        version,
        uuid.UUID(account_id),
        physician,
        manual_sent_by,
        patient_authorization,
    )
    if delivered_at is not None and version > 1:
        await conn.execute(
            "UPDATE deliveries SET current = false WHERE account_id = $1 AND document_id = $2 AND version < $3 "
            "AND current",
            uuid.UUID(account_id),
            document_id,
            version,
        )
    return delivered_at


async def insert_pending(conn: Connection, document_id: str, version: int, episode_id: str) -> None:
    await conn.execute(
        "INSERT INTO pending_documents (document_id, version, episode_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        document_id,
        version,
        episode_id,
    )


@dataclass(frozen=True)
class StoredDocument:
    """What deciding and delivering needs to know of a stored document version."""

    document_id: str
    version: int
    episode_id: str
    service: str
    title: str


async def lock_pending(
    conn: Connection, *, episode_id: str | None = None, older_than_days: int | None = None, limit: int = 100
) -> list[StoredDocument]:
    """Pending documents of an episode, or all waiting longer than `older_than_days`, locked for this transaction."""
    rows = await conn.fetch(
        "SELECT p.document_id, p.version, p.episode_id, d.service, d.title FROM pending_documents p "
        "JOIN documents d USING (document_id, version) "
        "WHERE ($1::text IS NULL OR p.episode_id = $1) "
        "AND ($2::int IS NULL OR p.since < now() - make_interval(days => $2)) "
        "ORDER BY p.since LIMIT $3 FOR UPDATE OF p SKIP LOCKED",
        episode_id,
        older_than_days,
        limit,
    )
    return [StoredDocument(**dict(row)) for row in rows]


async def pending_episodes_with_designation(conn: Connection, limit: int = 100) -> list[str]:
    """Episodes with waiting documents whose designation has arrived (missed by a concurrent copy)."""
    rows = await conn.fetch(
        "SELECT DISTINCT p.episode_id FROM pending_documents p "
        "WHERE EXISTS (SELECT 1 FROM designations g WHERE g.episode_id = p.episode_id) LIMIT $1",
        limit,
    )
    return [row["episode_id"] for row in rows]


async def delete_pending(conn: Connection, document_id: str, version: int) -> None:
    await conn.execute("DELETE FROM pending_documents WHERE document_id = $1 AND version = $2", document_id, version)


async def insert_undelivered(
    conn: Connection,
    document_id: str,
    version: int,
    service: str | None,
    title: str | None,
    reason: str,
    detail: str,
) -> None:
    await conn.execute(
        "INSERT INTO undelivered (document_id, version, service, title, reason, detail) VALUES ($1, $2, $3, $4, $5, $6)",
        document_id,
        version,
        service,
        title,
        reason,
        detail,
    )


async def set_unread(conn: Connection, delivery_id: uuid.UUID, unread: bool) -> None:
    """The physician's own read/unread mark (the hospital's read receipt is about opening)."""
    await conn.execute("UPDATE deliveries SET unread = $2 WHERE id = $1", delivery_id, unread)


async def mark_all_read(conn: Connection, account_id: uuid.UUID) -> int:
    """The physician's own read mark on every unread document of theirs, none opened: no read_at,
    so no read receipt (the hospital hears of a document's first opening only)."""
    marked: int = await conn.fetchval(
        "WITH marked AS (UPDATE deliveries SET unread = false WHERE account_id = $1 AND unread RETURNING 1) "
        "SELECT count(*) FROM marked",
        account_id,
    )
    return marked


async def mark_opened(conn: Connection, delivery_id: uuid.UUID) -> datetime | None:
    """Mark a delivery read because it was opened; return the time if this is its first opening."""
    opened: datetime | None = await conn.fetchval(
        "UPDATE deliveries SET unread = false, read_at = coalesce(read_at, now()) WHERE id = $1 "
        "RETURNING CASE WHEN read_at = now() THEN read_at END",
        delivery_id,
    )
    return opened
