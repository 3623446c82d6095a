"""What the hospital sends: designations and documents, delivered by the rule or left waiting.

Each handler runs in one transaction with its effects (deliveries, outbox messages) and the
event's inbox record, under a lock on the episode, so that copies of the service running side
by side never deliver a document twice nor miss a designation that arrives at the same time.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

import asyncpg
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from pydantic import BaseModel

from common import metrics, rejections
from common.contracts import audit, hospital
from common.contracts import documents as api
from common.contracts.physicians import PhysicianRef
from common.db import Connection
from common.outbox import OutboxRelay, enqueue_many
from common.recent import Recent
from common.sealed import CHUNK_SIZE
from common.sealed.checks import InvalidContent
from common.sealed.chunks import whole
from common.sealed.keys import ChunkCipher, MasterKeys

from . import store
from .contents import inline_bytes, seal_content
from .delivery import Designation, Recipient, Refusal, account_refusal, designated_recipients, document_refusal
from .objects import object_pieces
from .physicians import PhysicianDirectory

log = logging.getLogger(__name__)

AUDIT_SUBJECT = audit.subject_for("documents")
CONSUMER = "documents"  # the durable consumer of the DPI stream
HOSPITAL = rejections.HOSPITAL


@dataclass(frozen=True)
class Deps:
    pool: asyncpg.Pool
    nc: NATS
    js: JetStreamContext
    outbox: OutboxRelay
    master_keys: MasterKeys
    physicians: PhysicianDirectory
    pending_days: int
    patients: KnownPatients = field(default_factory=lambda: KnownPatients())


class KnownPatients:
    """Patients this process has written as they are now: an unchanged one needs no statement.

    Remembering too little only costs an upsert; a change (new name...) is always written.
    """

    LIMIT = 100_000

    def __init__(self) -> None:
        self._written: Recent[str, hospital.Patient] = Recent(self.LIMIT)

    async def record(self, conn: Connection, patient: hospital.Patient) -> None:
        """Write the patient unless this process already did, as they are now."""
        if self._written.get(patient.id) != patient:
            await store.upsert_patient(conn, patient)

    def committed(self, patient: hospital.Patient) -> None:
        """Call once the transaction that recorded the patient has committed (never before)."""
        self._written.put(patient.id, patient)


@dataclass
class _Outcome:
    """What one transaction did: its outbox messages (written together just before it commits),
    the accounts that received something (told to the gateway once it has committed), and the
    episodes' designations as read in it (read once, dropped when a designation changes them)."""

    accounts: set[str] = field(default_factory=set)
    patients: dict[str, hospital.Patient] = field(default_factory=dict)  # recorded in this transaction
    messages: list[tuple[str, BaseModel]] = field(default_factory=list)
    designations: dict[str, list[Designation]] = field(default_factory=dict)
    refused_contents: int = 0  # documents set aside for their content (counted once committed)

    async def designations_of(self, conn: Connection, episode_id: str) -> list[Designation]:
        if episode_id not in self.designations:
            self.designations[episode_id] = await store.designations_of(conn, episode_id)
        return self.designations[episode_id]

    async def write_outbox(self, conn: Connection) -> None:
        """Enqueue the transaction's messages, in one statement; call it last in the transaction."""
        if self.messages:
            await enqueue_many(conn, self.messages)
            self.messages = []

    async def announce(self, deps: Deps) -> None:
        """Tell the gateways which accounts received something (once committed)."""
        for account_id in self.accounts:
            await deps.nc.publish(api.DELIVERED_EVENT_PREFIX + account_id, b"")


def _new_id() -> str:
    return uuid.uuid4().hex


def _audit(action: audit.Action, entity: audit.Entity, detail: str) -> tuple[str, audit.AuditRecord]:
    """What the hospital's message led to, for the audit log (to enqueue on the outbox)."""
    failure = action in ("document.undelivered", "message.rejected")
    record = audit.AuditRecord(
        action=action, outcome="failure" if failure else "success", actor=HOSPITAL, entity=entity, detail=detail[:500]
    )
    return AUDIT_SUBJECT, record


def _document_entity(document_id: str, version: int) -> audit.Entity:
    return audit.Entity(kind="document", id=document_id, version=version)


EpisodeMessage = hospital.DesignationMessage | hospital.DocumentMessage


async def episode_messages(messages: list[tuple[str, EpisodeMessage]], deps: Deps) -> None:
    """A run of one episode's messages from one fetch, in stream order, in one transaction: one
    commit for the run instead of one per message. All or nothing: the consumer handles each
    message on its own if the run fails."""
    outcome = _Outcome()
    async with deps.outbox.transaction() as conn:
        for _, message in messages:
            if isinstance(message, hospital.DesignationMessage):
                await _designation(conn, deps, message, outcome)
            else:
                await _document(conn, deps, message, outcome)
        await outcome.write_outbox(conn)
    for patient in outcome.patients.values():
        deps.patients.committed(patient)
    if outcome.refused_contents:
        metrics.REJECTED.labels(CONSUMER, "invalid_content").inc(outcome.refused_contents)
    await outcome.announce(deps)


async def designation_received(message: hospital.DesignationMessage, deps: Deps) -> None:
    await episode_messages([(hospital.DESIGNATIONS, message)], deps)


async def document_received(message: hospital.DocumentMessage, deps: Deps) -> None:
    await episode_messages([(hospital.DOCUMENTS, message)], deps)


async def _designation(conn: Connection, deps: Deps, message: hospital.DesignationMessage, outcome: _Outcome) -> None:
    """Record a designation or its revocation; documents waiting for the episode are decided now."""
    if not await store.claim_event_of_episode(conn, message.event_id, hospital.DESIGNATIONS, message.episode.id):
        return
    await _record_patient(conn, deps, message.patient, outcome)
    await store.record_designation(conn, message)
    outcome.designations.pop(message.episode.id, None)
    await _decide_waiting(conn, deps, message.episode.id, outcome)


async def _record_patient(conn: Connection, deps: Deps, patient: hospital.Patient, outcome: _Outcome) -> None:
    """Write the patient once per transaction (a run of messages mostly names the same one)."""
    if outcome.patients.get(patient.id) != patient:
        await deps.patients.record(conn, patient)
        outcome.patients[patient.id] = patient


async def _decide_waiting(conn: Connection, deps: Deps, episode_id: str, outcome: _Outcome) -> None:
    """Documents of the episode that waited for a designation: decided now that one exists."""
    for pending in await store.lock_pending(conn, episode_id=episode_id):
        await _decide_and_deliver(conn, deps, pending, None, outcome)
        await store.delete_pending(conn, pending.document_id, pending.version)


async def _document(conn: Connection, deps: Deps, message: hospital.DocumentMessage, outcome: _Outcome) -> None:
    """Store a document encrypted and deliver it, leave it waiting for a designation, or refuse it."""
    doc = message.document
    if not await store.claim_event_of_episode(conn, message.event_id, hospital.DOCUMENTS, message.episode_id):
        return
    await _record_patient(conn, deps, message.patient, outcome)
    try:
        if isinstance(message.content, hospital.InlineContent):
            stored_new = await _store_document(conn, deps, message, inline_bytes(message.content))
        else:
            async with conn.transaction():  # a savepoint: a bad content leaves no trace but its refusal
                stored_new = await _store_document(conn, deps, message, None)
    except InvalidContent as exc:
        await _content_refused(conn, message, str(exc), outcome)
        return
    if not stored_new:
        log.info("document version received again under a new event id; nothing to do")
        return
    stored = store.StoredDocument(doc.id, doc.version, message.episode_id, doc.service, doc.title)
    refusal = None if message.manual else document_refusal(doc)
    if refusal is not None:
        await _record_undelivered(conn, stored, refusal, outcome)
    else:
        await _decide_and_deliver(conn, deps, stored, message.manual, outcome)


async def _store_document(
    conn: Connection, deps: Deps, message: hospital.DocumentMessage, inline: bytes | None
) -> bool:
    """Store the version and its encrypted content; False if this version was already stored.

    An inline content (already checked in memory) is written in one go; an Object Store one is
    streamed, and checked as it goes (the caller's savepoint undoes it if it fails).
    """
    doc, content = message.document, message.content
    data_key, key_id, wrapped = deps.master_keys.new_data_key()
    cipher = ChunkCipher(data_key, doc.id, doc.version)
    if inline is not None and len(inline) <= CHUNK_SIZE:
        sealed = cipher.seal(0, inline, last=True)
        return await store.insert_document(conn, message, key_id, wrapped, len(inline), 1, sealed)
    if inline is not None:
        chunks = -(-len(inline) // CHUNK_SIZE)
        if not await store.insert_document(conn, message, key_id, wrapped, len(inline), chunks):
            return False
        await seal_content(conn, cipher, whole(inline), content.media_type, content.sha256)
        return True
    if not await store.insert_document(conn, message, key_id, wrapped, 0, 0):
        return False
    assert isinstance(content, hospital.ObjectContent)
    stored = await seal_content(
        conn, cipher, object_pieces(deps.js, content.object), content.media_type, content.sha256
    )
    await store.set_content_size(conn, doc.id, doc.version, stored)
    return True


async def _decide_and_deliver(
    conn: Connection,
    deps: Deps,
    document: store.StoredDocument,
    manual: hospital.ManualSending | None,
    outcome: _Outcome,
    *,
    expired: bool = False,
) -> None:
    """Apply the manual or the automatic rule to a stored document, and record what came of it."""
    if manual is not None:
        candidates: list[Recipient | Refusal] = [Recipient(manual.recipient.key)]
    else:
        designations = await outcome.designations_of(conn, document.episode_id)
        if not designations and not expired:
            await store.insert_pending(conn, document.document_id, document.version, document.episode_id)
            return
        candidates = designated_recipients(designations)
    for candidate in candidates:
        if isinstance(candidate, Refusal):
            await _record_undelivered(conn, document, candidate, outcome)
            continue
        status = await deps.physicians.status(candidate.physician)
        refusal = account_refusal(candidate.physician, status.known, status.activated)
        if refusal is not None:
            await _record_undelivered(conn, document, refusal, outcome)
            continue
        assert status.account_id is not None
        if await _deliver(conn, document, candidate.physician, status.account_id, manual, outcome):
            outcome.accounts.add(status.account_id)


async def _deliver(
    conn: Connection,
    document: store.StoredDocument,
    physician: str,
    account_id: str,
    manual: hospital.ManualSending | None,
    outcome: _Outcome,
) -> bool:
    delivered_at = await store.insert_delivery(
        conn,
        document.document_id,
        document.version,
        account_id,
        physician,
        manual.sent_by if manual else None,
        manual.patient_authorization if manual else None,
    )
    if delivered_at is None:
        return False  # this version was already delivered to this physician
    delivered = hospital.DocumentDelivered(
        event_id=_new_id(),
        document_id=document.document_id,
        version=document.version,
        physician=PhysicianRef.from_key(physician),
        delivered_at=delivered_at,
    )
    outcome.messages += [
        (hospital.DELIVERED, delivered),
        _audit(
            "document.delivered",
            _document_entity(document.document_id, document.version),
            f"to {physician}" + (f" (manual sending by {manual.sent_by})" if manual else ""),
        ),
    ]
    return True


async def _record_undelivered(
    conn: Connection, document: store.StoredDocument, refusal: Refusal, outcome: _Outcome
) -> None:
    await store.insert_undelivered(
        conn, document.document_id, document.version, document.service, document.title, refusal.reason, refusal.detail
    )
    undelivered = hospital.DocumentUndelivered(
        event_id=_new_id(),
        document_id=document.document_id,
        version=document.version,
        reason=refusal.reason,
        detail=refusal.detail,
    )
    outcome.messages += [
        (hospital.UNDELIVERED, undelivered),
        _audit(
            "document.undelivered",
            _document_entity(document.document_id, document.version),
            f"{refusal.reason}: {refusal.detail}",
        ),
    ]


async def _content_refused(conn: Connection, message: hospital.DocumentMessage, reason: str, outcome: _Outcome) -> None:
    """A content that fails its checks: rejected, and reported undelivered so the hospital sends it by post."""
    doc = message.document
    await rejections.reject(conn, "documents", hospital.DOCUMENTS, message.event_id, reason)
    outcome.refused_contents += 1
    document = store.StoredDocument(doc.id, doc.version, message.episode_id, doc.service, doc.title)
    await _record_undelivered(conn, document, Refusal("invalid_content", reason), outcome)


async def message_rejected(subject: str, event_id: str | None, reason: str, deps: Deps) -> None:
    """A hospital message that could not be read: recorded, reported on portal.rejected, acked."""
    async with deps.outbox.transaction() as conn:
        await rejections.reject(conn, "documents", subject, event_id, reason)


async def sweep_pending(deps: Deps) -> None:
    """Deliver waiting documents whose designation has come; give up on those that waited too long."""
    async with deps.pool.acquire() as conn:
        episodes = await store.pending_episodes_with_designation(conn)
    for episode_id in episodes:
        outcome = _Outcome()
        async with deps.outbox.transaction() as conn:
            await store.lock_episode(conn, episode_id)
            await _decide_waiting(conn, deps, episode_id, outcome)
            await outcome.write_outbox(conn)
        await outcome.announce(deps)
    while True:
        outcome = _Outcome()
        async with deps.outbox.transaction() as conn:
            expired = await store.lock_pending(conn, older_than_days=deps.pending_days)
            for pending in expired:
                await _decide_and_deliver(conn, deps, pending, None, outcome, expired=True)
                await store.delete_pending(conn, pending.document_id, pending.version)
            await outcome.write_outbox(conn)
        if not expired:
            return
