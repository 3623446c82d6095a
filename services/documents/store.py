"""The documents service's SQL, one function per query."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from common.contracts.hospital import DesignationMessage, DocumentMessage, Patient

from .delivery import Designation


async def claim_event(conn: asyncpg.Connection, event_id: str, subject: str) -> bool:
    """Record a bus event as processed; False if it already was (then do nothing)."""
    return (
        await conn.fetchval(
            "INSERT INTO inbox (event_id, subject) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING true",
            event_id,
            subject,
        )
        is not None
    )


async def upsert_patient(conn: asyncpg.Connection, patient: Patient) -> None:
    await conn.execute(
        "INSERT INTO patients (id, family_name, given_name, birth_date, sex) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (id) DO UPDATE SET family_name = $2, given_name = $3, birth_date = $4, sex = $5, "
        "updated_at = now()",
        patient.id,
        patient.family_name,
        patient.given_name,
        patient.birth_date,
        patient.sex,
    )


async def record_designation(conn: asyncpg.Connection, message: DesignationMessage) -> None:
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


async def designations_of(conn: asyncpg.Connection, episode_id: str) -> list[Designation]:
    rows = await conn.fetch(
        "SELECT physician, active, electronic_consent FROM designations WHERE episode_id = $1 ORDER BY physician",
        episode_id,
    )
    return [Designation(row["physician"], row["active"], row["electronic_consent"]) for row in rows]


async def insert_document(conn: asyncpg.Connection, message: DocumentMessage, data: bytes) -> bool:
    """Store the document and its content; False if this version was already stored."""
    doc = message.document
    inserted = await conn.fetchval(
        "INSERT INTO documents (document_id, version, episode_id, patient_id, category, title, service, author, "
        "status, communicating, created_at, media_type, sha256, size) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) "
        "ON CONFLICT DO NOTHING RETURNING true",
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
        len(data),
    )
    if inserted is None:
        return False
    await conn.execute("INSERT INTO contents (document_id, version, data) VALUES ($1, $2, $3)", doc.id, doc.version, data)
    return True


async def insert_delivery(
    conn: asyncpg.Connection,
    document_id: str,
    version: int,
    account_id: str,
    physician: str,
    manual_sent_by: str | None = None,
    patient_authorization: str | None = None,
) -> datetime | None:
    """Deliver a version to an account; None if it already was."""
    return await conn.fetchval(
        "INSERT INTO deliveries (id, document_id, version, account_id, physician, manual_sent_by, "
        "patient_authorization) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING delivered_at",
        uuid.uuid4(),
        document_id,
        version,
        uuid.UUID(account_id),
        physician,
        manual_sent_by,
        patient_authorization,
    )


async def insert_undelivered(
    conn: asyncpg.Connection, document_id: str, version: int, service: str | None, reason: str, detail: str
) -> None:
    await conn.execute(
        "INSERT INTO undelivered (document_id, version, service, reason, detail) VALUES ($1, $2, $3, $4, $5)",
        document_id,
        version,
        service,
        reason,
        detail,
    )


async def insert_rejection(conn: asyncpg.Connection, subject: str, event_id: str | None, reason: str) -> None:
    await conn.execute(
        "INSERT INTO rejections (subject, event_id, reason) VALUES ($1, $2, $3)", subject, event_id, reason
    )


@dataclass(frozen=True)
class DeliveredDocument:
    id: str
    document_id: str
    version: int
    physician: str
    title: str
    category: str
    service: str
    author: str
    created_at: datetime
    delivered_at: datetime
    unread: bool
    media_type: str
    patient_name: str
    patient_birth_date: date


_DELIVERED_SELECT = (
    "SELECT d.id, d.document_id, d.version, d.physician, doc.title, doc.category, doc.service, doc.author, "
    "doc.created_at, d.delivered_at, d.unread, doc.media_type, "
    "p.family_name || ' ' || p.given_name AS patient_name, p.birth_date AS patient_birth_date "
    "FROM deliveries d "
    "JOIN documents doc ON doc.document_id = d.document_id AND doc.version = d.version "
    "JOIN patients p ON p.id = doc.patient_id "
)


def _delivered(row: asyncpg.Record) -> DeliveredDocument:
    return DeliveredDocument(**{**dict(row), "id": str(row["id"])})


async def deliveries_page(
    conn: asyncpg.Connection, account_id: str, limit: int, offset: int
) -> tuple[list[DeliveredDocument], int]:
    """The account's delivered documents, newest first, and how many there are in all."""
    account = uuid.UUID(account_id)
    rows = await conn.fetch(
        _DELIVERED_SELECT + "WHERE d.account_id = $1 ORDER BY doc.created_at DESC, d.delivered_at DESC "
        "LIMIT $2 OFFSET $3",
        account,
        limit,
        offset,
    )
    total = await conn.fetchval("SELECT count(*) FROM deliveries WHERE account_id = $1", account)
    return [_delivered(row) for row in rows], total


async def delivery_of(conn: asyncpg.Connection, delivery_id: uuid.UUID, account_id: str) -> DeliveredDocument | None:
    """The delivery if it belongs to the account; otherwise None, whether it exists or not."""
    row = await conn.fetchrow(_DELIVERED_SELECT + "WHERE d.id = $1 AND d.account_id = $2", delivery_id, uuid.UUID(account_id))
    return None if row is None else _delivered(row)


async def content_of(conn: asyncpg.Connection, document_id: str, version: int) -> bytes:
    return bytes(
        await conn.fetchval("SELECT data FROM contents WHERE document_id = $1 AND version = $2", document_id, version)
    )


async def mark_read(conn: asyncpg.Connection, delivery_id: uuid.UUID) -> datetime | None:
    """Mark a delivery read; return the time if this is its first reading."""
    return await conn.fetchval(
        "UPDATE deliveries SET unread = false, read_at = coalesce(read_at, now()) WHERE id = $1 "
        "RETURNING CASE WHEN read_at = now() THEN read_at END",
        delivery_id,
    )
