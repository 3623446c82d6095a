"""The documents service's handlers: hospital messages in, deliveries and lists out."""
from __future__ import annotations

import base64
import logging
import mimetypes
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import asyncpg
from nats.aio.client import Client as NATS

from common.bus import call
from common.contracts import audit, documents as api, hospital, identity
from common.contracts.physicians import PhysicianRef
from common.errors import NotFound
from common.outbox import OutboxRelay, enqueue
from common.tokens import Caller

from . import store
from .contents import InvalidContent, inline_bytes
from .delivery import Recipient, Refusal, account_refusal, designated_recipients, document_refusal

log = logging.getLogger(__name__)

AUDIT_SUBJECT = audit.subject_for("documents")
HOSPITAL = audit.Party(kind="hospital")


@dataclass(frozen=True)
class Deps:
    pool: asyncpg.Pool
    nc: NATS
    outbox: OutboxRelay


def _new_id() -> str:
    return uuid.uuid4().hex


def _document_entity(document_id: str, version: int) -> audit.Entity:
    return audit.Entity(kind="document", id=document_id, version=version)


# -- from the hospital -------------------------------------------------------------------------


async def designation_received(message: hospital.DesignationMessage, deps: Deps) -> None:
    """Record a designation or its revocation (the newest recorded state wins)."""
    async with deps.pool.acquire() as conn, conn.transaction():
        if not await store.claim_event(conn, message.event_id, hospital.DESIGNATIONS):
            return
        await store.upsert_patient(conn, message.patient)
        await store.record_designation(conn, message)


@dataclass(frozen=True)
class _Decision:
    deliver_to: list[tuple[str, str]]  # (physician key, account id)
    refusals: list[Refusal]


async def _decide(message: hospital.DocumentMessage, deps: Deps) -> _Decision:
    """Apply the manual or automatic rule; ask identity about each candidate's account."""
    if message.manual is not None:
        candidates: list[Recipient | Refusal] = [Recipient(message.manual.recipient.key)]
    else:
        refusal = document_refusal(message.document)
        if refusal is not None:
            return _Decision([], [refusal])
        async with deps.pool.acquire() as conn:
            candidates = designated_recipients(await store.designations_of(conn, message.episode_id))
    deliver_to: list[tuple[str, str]] = []
    refusals: list[Refusal] = []
    for candidate in candidates:
        if isinstance(candidate, Refusal):
            refusals.append(candidate)
            continue
        status = await call(
            deps.nc, identity.PHYSICIAN_LOOKUP, identity.PhysicianLookup(physician=candidate.physician), identity.PhysicianStatus
        )
        refusal = account_refusal(candidate.physician, status.known, status.activated)
        if refusal is not None:
            refusals.append(refusal)
        else:
            assert status.account_id is not None
            deliver_to.append((candidate.physician, status.account_id))
    return _Decision(deliver_to, refusals)


async def document_received(message: hospital.DocumentMessage, deps: Deps) -> None:
    """Store a document and deliver it, or tell the hospital why it was not delivered."""
    doc = message.document
    try:
        data = inline_bytes(message.content)
    except InvalidContent as exc:
        await _content_refused(message, str(exc), deps)
        return
    decision = await _decide(message, deps)
    now = datetime.now(timezone.utc)
    async with deps.pool.acquire() as conn, conn.transaction():
        if not await store.claim_event(conn, message.event_id, hospital.DOCUMENTS):
            return
        await store.upsert_patient(conn, message.patient)
        await store.insert_document(conn, message, data)
        manual = message.manual
        for physician, account_id in decision.deliver_to:
            delivered_at = await store.insert_delivery(
                conn,
                doc.id,
                doc.version,
                account_id,
                physician,
                manual.sent_by if manual else None,
                manual.patient_authorization if manual else None,
            )
            if delivered_at is None:
                continue  # this version was already delivered to this physician
            await enqueue(
                conn,
                hospital.DELIVERED,
                hospital.DocumentDelivered(
                    event_id=_new_id(),
                    document_id=doc.id,
                    version=doc.version,
                    physician=PhysicianRef.from_key(physician),
                    delivered_at=delivered_at,
                ),
            )
            await enqueue(
                conn,
                AUDIT_SUBJECT,
                audit.AuditRecord(
                    action="document.delivered",
                    outcome="success",
                    actor=HOSPITAL,
                    entity=_document_entity(doc.id, doc.version),
                    detail=f"to {physician}" + (" (manual sending)" if manual else ""),
                ),
            )
        for refusal in decision.refusals:
            await _record_undelivered(conn, doc.id, doc.version, doc.service, refusal.reason, refusal.detail, now)
    deps.outbox.wake()


async def _record_undelivered(
    conn: asyncpg.Connection,
    document_id: str,
    version: int,
    service: str | None,
    reason: hospital.UndeliveredReason,
    detail: str,
    now: datetime,
) -> None:
    await store.insert_undelivered(conn, document_id, version, service, reason, detail)
    await enqueue(
        conn,
        hospital.UNDELIVERED,
        hospital.DocumentUndelivered(event_id=_new_id(), document_id=document_id, version=version, reason=reason, detail=detail),
    )
    await enqueue(
        conn,
        AUDIT_SUBJECT,
        audit.AuditRecord(
            recorded_at=now,
            action="document.undelivered",
            outcome="failure",
            actor=HOSPITAL,
            entity=_document_entity(document_id, version),
            detail=f"{reason}: {detail}",
        ),
    )


async def _content_refused(message: hospital.DocumentMessage, reason: str, deps: Deps) -> None:
    """A content that fails its checks: rejected, and reported undelivered so the hospital sends it by post."""
    doc = message.document
    async with deps.pool.acquire() as conn, conn.transaction():
        if not await store.claim_event(conn, message.event_id, hospital.DOCUMENTS):
            return
        await _reject(conn, hospital.DOCUMENTS, message.event_id, reason)
        await _record_undelivered(
            conn, doc.id, doc.version, doc.service, "invalid_content", reason, datetime.now(timezone.utc)
        )
    deps.outbox.wake()


async def _reject(conn: asyncpg.Connection, subject: str, event_id: str | None, reason: str) -> None:
    await store.insert_rejection(conn, subject, event_id, reason)
    await enqueue(conn, hospital.REJECTED, hospital.Rejected(event_id=event_id, subject=subject, reason=reason), _new_id())
    await enqueue(
        conn,
        AUDIT_SUBJECT,
        audit.AuditRecord(
            action="message.rejected",
            outcome="failure",
            actor=HOSPITAL,
            entity=audit.Entity(kind="message", id=event_id),
            detail=f"{subject}: {reason}"[:500],
        ),
    )


async def message_rejected(subject: str, event_id: str | None, reason: str, deps: Deps) -> None:
    """A hospital message that could not be read: recorded, reported on portal.rejected, acked."""
    async with deps.pool.acquire() as conn, conn.transaction():
        await _reject(conn, subject, event_id, reason)
    deps.outbox.wake()


# -- for the physician, through the gateway -------------------------------------------------------


def _physician(caller: Caller) -> str:
    """Only physicians have documents; anyone else sees nothing."""
    if caller.role != "physician":
        raise NotFound()
    return caller.account_id


def _summary(item: store.DeliveredDocument) -> api.DocumentSummary:
    return api.DocumentSummary(
        id=item.id,
        title=item.title,
        category=item.category,
        service=item.service,
        author=item.author,
        version=item.version,
        created_at=item.created_at,
        delivered_at=item.delivered_at,
        unread=item.unread,
        patient_name=item.patient_name,
        patient_birth_date=item.patient_birth_date,
    )


async def list_documents(message: api.ListDocuments, caller: Caller, deps: Deps) -> api.DocumentPage:
    """Mes documents: the caller's documents, newest first, one page."""
    account_id = _physician(caller)
    async with deps.pool.acquire() as conn:
        items, total = await store.deliveries_page(
            conn, account_id, message.per_page, (message.page - 1) * message.per_page
        )
    return api.DocumentPage(items=[_summary(i) for i in items], total=total, page=message.page, per_page=message.per_page)


async def _own_delivery(conn: asyncpg.Connection, delivery_id: str, caller: Caller) -> store.DeliveredDocument:
    account_id = _physician(caller)
    try:
        parsed = uuid.UUID(delivery_id)
    except ValueError:
        raise NotFound() from None
    item = await store.delivery_of(conn, parsed, account_id)
    if item is None:
        raise NotFound()
    return item


async def get_document(message: api.GetDocument, caller: Caller, deps: Deps) -> api.DocumentSummary:
    async with deps.pool.acquire() as conn:
        return _summary(await _own_delivery(conn, message.id, caller))


def _filename(item: store.DeliveredDocument) -> str:
    extension = mimetypes.guess_extension(item.media_type) or ".bin"
    return f"{item.created_at:%Y-%m-%d}-{item.category}-v{item.version}{extension}"


async def get_content(message: api.GetContent, caller: Caller, deps: Deps) -> api.DocumentContent:
    """The content of the caller's document; the first opening is reported to the hospital."""
    async with deps.pool.acquire() as conn, conn.transaction():
        item = await _own_delivery(conn, message.id, caller)
        data = await store.content_of(conn, item.document_id, item.version)
        first_read_at = await store.mark_read(conn, uuid.UUID(item.id))
        if first_read_at is not None:
            await enqueue(
                conn,
                hospital.READ,
                hospital.DocumentRead(
                    event_id=_new_id(),
                    document_id=item.document_id,
                    version=item.version,
                    physician=PhysicianRef.from_key(item.physician),
                    read_at=first_read_at,
                ),
            )
        await enqueue(
            conn,
            AUDIT_SUBJECT,
            audit.AuditRecord(
                action="document.viewed" if message.disposition == "view" else "document.downloaded",
                outcome="success",
                actor=audit.Party(kind="physician", id=caller.account_id),
                entity=_document_entity(item.document_id, item.version),
            ),
        )
    deps.outbox.wake()
    return api.DocumentContent(
        media_type=item.media_type, filename=_filename(item), data_b64=base64.b64encode(data).decode()
    )
