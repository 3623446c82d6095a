"""Audit's handlers: append a record to the chain and forward it to the hospital, in one transaction."""

from __future__ import annotations

import logging
import uuid

import asyncpg

from common.contracts import hospital
from common.contracts.audit import AuditRecord, Entity, Party
from common.outbox import OutboxRelay, enqueue_many

from . import fhir, store
from .chain import Entry, link

log = logging.getLogger(__name__)

SELF = "audit"
_REJECTION_NAMESPACE = uuid.UUID("0c7f4f5e-2b1a-4a8e-9b9c-3d6a1e5f7b21")


async def record(message: AuditRecord, *, source: str, pool: asyncpg.Pool, relay: OutboxRelay) -> None:
    """`audit.record.<source>`: store the record (once, whatever the redeliveries) and forward it."""
    await _append(pool, relay, [Entry.of(message, source)])


async def record_batch(
    items: list[tuple[str, AuditRecord]], *, sources: dict[str, str], pool: asyncpg.Pool, relay: OutboxRelay
) -> None:
    """A fetched batch of records, appended to the chain in one transaction, in stream order.

    Raises (and so falls back to one record at a time) if a subject is not a known source.
    """
    await _append(pool, relay, [Entry.of(message, sources[subject]) for subject, message in items])


async def _append(pool: asyncpg.Pool, relay: OutboxRelay, entries: list[Entry]) -> None:
    """Chain the entries not stored yet after the last row, and forward each, in one transaction."""
    async with relay.transaction() as conn:
        await store.lock_chain(conn)
        known = await store.existing_event_ids(conn, [entry.event_id for entry in entries])
        prev_hash = await store.last_hash(conn)
        rows: list[tuple[Entry, bytes, bytes]] = []
        for entry in entries:
            if entry.event_id in known:
                continue
            known.add(entry.event_id)
            hash_ = link(prev_hash, entry)
            rows.append((entry, prev_hash, hash_))
            prev_hash = hash_
        if not rows:
            return
        await store.insert_records(conn, rows)
        # Prefixed: the PORTAL stream deduplicates on Nats-Msg-Id across all its subjects, and a
        # service may reuse the event id of the business event it audits.
        await enqueue_many(
            conn,
            [(hospital.AUDIT, fhir.audit_event(entry)) for entry, _, _ in rows],
            msg_ids=[f"audit:{entry.event_id}" for entry, _, _ in rows],
        )


async def record_rejection(
    subject: str, event_id: str | None, reason: str, *, pool: asyncpg.Pool, relay: OutboxRelay
) -> None:
    """A message on the audit stream that could not be stored is itself recorded, so its loss shows.

    Raises if the record cannot be committed: the consumer then keeps the message (an outage is
    waited out) rather than acknowledge a rejection that left no trace."""
    rejection_id = uuid.uuid5(_REJECTION_NAMESPACE, f"{subject}\n{event_id}").hex if event_id else uuid.uuid4().hex
    rejection = AuditRecord(
        event_id=rejection_id,
        action="message.rejected",
        outcome="failure",
        actor=Party(kind="system", id=SELF),
        entity=Entity(kind="message", id=event_id),
        detail=f"{subject}: {reason}"[:500],
    )
    await record(rejection, source=SELF, pool=pool, relay=relay)
