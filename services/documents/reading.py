"""What physicians (and administrators) ask through the gateway: lists, documents, contents, read state."""

from __future__ import annotations

import base64
import mimetypes
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from common.codec import Written
from common.contracts import audit, hospital
from common.contracts import documents as api
from common.contracts.base import Empty
from common.contracts.physicians import PhysicianRef
from common.db import Connection
from common.errors import InvalidRequest, NotFound
from common.outbox import OutboxRelay, enqueue
from common.sealed.keys import ChunkCipher, MasterKeys
from common.tokens import Caller

from . import queries, store
from .contents import TABLES
from .list_memory import KnownServices, ListAnchors

AUDIT_SUBJECT = audit.subject_for("documents")


@dataclass(frozen=True)
class Deps:
    pool: asyncpg.Pool
    outbox: OutboxRelay
    master_keys: MasterKeys
    anchors: ListAnchors = field(default_factory=ListAnchors)
    services: KnownServices = field(default_factory=KnownServices)


def _physician(caller: Caller) -> str:
    """Only physicians have documents; anyone else sees nothing."""
    if caller.role != "physician":
        raise NotFound()
    return caller.account_id


_SUMMARY_FIELDS = tuple(name for name in api.DocumentSummary.model_fields if name != "corrected")
_LISTED_FIELDS = tuple(api.ListedDocument.model_fields)


def _summary_fields(delivered: Mapping[str, Any]) -> dict[str, Any]:
    """What a physician is told of a delivered document (a DocumentSummary's fields)."""
    fields = {name: delivered[name] for name in _SUMMARY_FIELDS}
    fields["corrected"] = delivered["version"] > 1
    return fields


def _summary(item: queries.DeliveredDocument) -> api.DocumentSummary:
    return api.DocumentSummary.model_validate(_summary_fields(vars(item)))


async def list_documents(message: api.ListDocuments, caller: Caller, deps: Deps) -> Written[api.DocumentPage]:
    """Mes documents (or one patient's): the caller's current documents, newest first, filtered, one page."""
    account_id = _physician(caller)
    anchorable = queries.anchorable(message)
    anchors = deps.anchors.get(account_id, message) if anchorable else None
    known_services = deps.services.get(account_id)
    services_version = None if known_services is None else known_services[0]
    async with deps.pool.acquire() as conn:
        listing = await queries.document_listing(conn, account_id, message, anchors, services_version)
        if anchors is not None and listing.version != anchors.version:  # the list changed: walk it instead
            deps.anchors.drop(account_id, message)
            listing = await queries.document_listing(conn, account_id, message, None, services_version)
            anchors = None
        deep = (message.page - 1) * message.per_page >= ListAnchors.DEEP
        if anchors is None and anchorable and deep and listing.items:  # for the next deep pages of this list
            deps.anchors.put(
                account_id, message, await queries.list_anchors(conn, account_id, message, ListAnchors.EVERY)
            )
    return Written(
        {
            "items": [{name: row[name] for name in _LISTED_FIELDS} for row in listing.items],
            "total": listing.total,
            "page": message.page,
            "per_page": message.per_page,
            "services": deps.services.resolve(account_id, known_services, listing),
            "counters": listing.counters.model_dump() if message.with_counters else None,
        }
    )


async def list_patients(message: api.ListPatients, caller: Caller, deps: Deps) -> api.PatientPage:
    """Mes patients: the caller's patients with their counts, most recent first."""
    account_id = _physician(caller)
    async with deps.pool.acquire() as conn:
        items, total = await queries.patients_page(conn, account_id, message)
    return api.PatientPage(items=items, total=total, page=message.page, per_page=message.per_page)


async def patient_of(message: api.PatientLookup, deps: Deps) -> hospital.Patient:
    """For the requests service: the patient a physician chose among Mes patients, if theirs."""
    try:
        account_id, public_id = uuid.UUID(message.account_id), uuid.UUID(message.patient)
    except ValueError:
        raise NotFound() from None
    async with deps.pool.acquire() as conn:
        row = await queries.patient_of(conn, account_id, public_id)
    if row is None:
        raise NotFound()
    return hospital.Patient(**dict(row))


async def _own(conn: Connection, delivery_id: str, caller: Caller) -> queries.DeliveredDocument:
    item = await queries.delivery_of(conn, delivery_id, _physician(caller))
    if item is None:
        raise NotFound()
    return item


async def name_documents(message: api.NameDocuments, caller: Caller, deps: Deps) -> api.NamedDocuments:
    """The titles and pages of the caller's documents among those asked (their audit records'
    ids, for "Mon activité"); a document the caller did not receive is left out, as a missing one."""
    account = uuid.UUID(_physician(caller))
    async with deps.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT d.id::text, d.document_id, d.version, d.title FROM deliveries d "
            "JOIN unnest($2::text[], $3::int[]) AS asked (document_id, version) "
            "ON asked.document_id = d.document_id AND asked.version = d.version "
            "WHERE d.account_id = $1",
            account,
            [ref.document_id for ref in message.documents],
            [ref.version for ref in message.documents],
        )
    return api.NamedDocuments(items=[api.NamedDocument(**dict(row)) for row in rows])


async def get_document(message: api.GetDocument, caller: Caller, deps: Deps) -> api.DocumentDetail:
    """A document and every version of it the caller received."""
    async with deps.pool.acquire() as conn:
        item = await _own(conn, message.id, caller)
        versions = await queries.versions_of(conn, caller.account_id, item.document_id)
    return api.DocumentDetail(document=_summary(item), versions=[_summary(v) for v in versions])


def _extension(item: queries.DeliveredDocument) -> str:
    return mimetypes.guess_extension(item.media_type) or ".bin"


def _filename(item: queries.DeliveredDocument) -> str:
    return f"{item.created_at:%Y-%m-%d}-{item.category}-v{item.version}{_extension(item)}"


def _named(item: queries.DeliveredDocument) -> api.DocumentName:
    """The parts of "2026-01-30 Rapport de sortie DUPONT Jean.pdf": the gateway names the category."""
    patient = f"{item.family_name.upper()} {item.given_name}"
    return api.DocumentName(
        created_at=item.created_at, category=item.category, patient=patient, extension=_extension(item)
    )


async def get_content(message: api.GetContent, caller: Caller, deps: Deps) -> api.ContentChunk:
    """One chunk of the caller's document; the first chunk counts as opening it (audit, read receipt)."""
    if message.offset % api.CHUNK_SIZE:
        raise InvalidRequest("offset must be a multiple of the chunk size")
    seq = message.offset // api.CHUNK_SIZE
    async with deps.outbox.transaction() as conn:
        item = await _own(conn, message.id, caller)
        key = await queries.content_key(conn, item.document_id, item.version)
        if seq >= key.chunks:
            raise InvalidRequest("offset beyond the end of the content")
        last = seq == key.chunks - 1
        cipher = ChunkCipher(deps.master_keys.unwrap(key.key_id, key.wrapped_key), item.document_id, item.version)
        data = await TABLES.read_chunk(conn, cipher, seq, last)
        if seq == 0:
            await _opened(conn, item, caller, message.disposition)
    return api.ContentChunk(
        media_type=item.media_type,
        filename=_filename(item),
        named=_named(item),
        size=item.size,
        offset=message.offset,
        data_b64=base64.b64encode(data).decode(),
        last=last,
    )


async def _opened(conn: Connection, item: queries.DeliveredDocument, caller: Caller, disposition: str) -> None:
    first_read_at = await store.mark_opened(conn, uuid.UUID(item.id))
    if first_read_at is not None:
        await enqueue(
            conn,
            hospital.READ,
            hospital.DocumentRead(
                event_id=uuid.uuid4().hex,
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
            action="document.viewed" if disposition == "view" else "document.downloaded",
            outcome="success",
            actor=audit.Party(kind="physician", id=caller.account_id),
            entity=audit.Entity(kind="document", id=item.document_id, version=item.version),
        ),
    )


async def mark_document(message: api.MarkDocument, caller: Caller, deps: Deps) -> Empty:
    """The physician marks a document read or unread."""
    async with deps.pool.acquire() as conn:
        item = await _own(conn, message.id, caller)
        await store.set_unread(conn, uuid.UUID(item.id), not message.read)
    return Empty()


async def mark_all_read(message: Empty, caller: Caller, deps: Deps) -> api.MarkedAllRead:
    """ "Mark all as read": every unread document of the caller's, marked read. Not an opening:
    no read receipt to the hospital and no audit record, as for one document's read mark."""
    account_id = uuid.UUID(_physician(caller))
    async with deps.pool.acquire() as conn:
        return api.MarkedAllRead(marked=await store.mark_all_read(conn, account_id))


async def unread_counters(message: Empty, caller: Caller, deps: Deps) -> api.UnreadCounters:
    async with deps.pool.acquire() as conn:
        return await queries.unread_counters(conn, _physician(caller))


async def list_undelivered(message: api.ListUndelivered, caller: Caller, deps: Deps) -> api.UndeliveredPage:
    """For administrators: documents that reached no physician, newest first (metadata only)."""
    if caller.role != "admin":
        raise NotFound()
    async with deps.pool.acquire() as conn:
        items, total = await queries.undelivered_page(conn, message)
        services = await queries.undelivered_services(conn)
    return api.UndeliveredPage(
        items=items, total=total, page=message.page, per_page=message.per_page, services=services
    )
