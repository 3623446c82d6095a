"""Notify's handlers of new documents and of answers to requests: emails to physicians, as their
profile asks, written in the transaction that consumed the events and sent after its commit (the
other services' commands: commands.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

import asyncpg
from nats.aio.client import Client as NATS

from common import rejections
from common.bus import call
from common.contracts import audit, hospital, identity
from common.contracts.hospital import DocumentDelivered
from common.contracts.identity import Contact, ContactLookup
from common.contracts.requests import ANSWER_ARRIVED, AnswerArrived
from common.db import Connection
from common.errors import NotFound
from common.outbox import OutboxRelay, enqueue

from . import messages, store
from .sending import Sender

log = logging.getLogger(__name__)

FindContact = Callable[[str], Awaitable[Contact | None]]


async def find_contact(nc: NATS, physician: str) -> Contact | None:
    """Ask identity how to reach a physician; None when identity does not know them."""
    try:
        return await call(nc, identity.FIND_CONTACT, ContactLookup(physician=physician))
    except NotFound:
        return None


@dataclass(frozen=True)
class Deps:
    pool: asyncpg.Pool
    contacts: FindContact
    sender: Sender
    outbox: OutboxRelay
    mail_domain: str


async def announce_delivered_document(event: DocumentDelivered, *, deps: Deps) -> None:
    """`portal.documents.delivered`, one event (when a batch failed): as a batch of one."""
    await announce_delivered_documents([(hospital.DELIVERED, event)], deps=deps)


async def announce_delivered_documents(items: list[tuple[str, DocumentDelivered]], *, deps: Deps) -> None:
    """A fetched batch of deliveries: one email per physician, however many documents they got.

    The emails are written in the transaction that records the events as processed, and sent
    once it has committed (`sending.Sender`): a failure here, or a crash, sends nothing, and
    a redelivery finds the events done. A failure raises; the consumer tries again (an outage) or
    handles the events one at a time.
    """
    events = [event for _, event in items]
    async with deps.pool.acquire() as conn:
        done = await store.processed_among(conn, [event.event_id for event in events])
    by_physician: dict[str, list[str]] = {}
    for event in events:
        if event.event_id not in done:
            by_physician.setdefault(event.physician.key, []).append(event.event_id)
    if not by_physician:
        return
    physicians = list(by_physician)
    contacts = await asyncio.gather(*(deps.contacts(physician) for physician in physicians))
    async with deps.pool.acquire() as conn, conn.transaction():
        for physician, contact in zip(physicians, contacts, strict=True):
            claimed = await store.claim_events(conn, by_physician[physician], hospital.DELIVERED)
            if claimed:
                kind = messages.NEW_DOCUMENTS if len(claimed) > 1 else messages.NEW_DOCUMENT
                await _notice(conn, contact, kind, deps, MERGED_NOTICES, digest=(physician, "document", claimed))
    deps.sender.wake()


MERGED_NOTICES = {messages.NEW_DOCUMENT: messages.NEW_DOCUMENTS, messages.NEW_DOCUMENTS: messages.NEW_DOCUMENTS}
"""A notice of new documents still waiting to go absorbs the next one: one email, "new documents"."""


async def announce_answer(event: AnswerArrived, *, deps: Deps) -> None:
    """`requests.events.answered`: one email to the physician, a link to the request and nothing of
    it, written in the transaction that records the event as processed and sent once it committed
    (a redelivery finds the event done). A failure raises: the consumer tries again."""
    async with deps.pool.acquire() as conn:
        if await store.processed_among(conn, [event.event_id]):
            return
    contact = await deps.contacts(event.physician)
    async with deps.pool.acquire() as conn, conn.transaction():
        if claimed := await store.claim_events(conn, [event.event_id], ANSWER_ARRIVED.subject):
            fields = {"request_id": str(event.request_id)}
            digest: Digest = (event.physician, "answer", claimed)
            await _notice(conn, contact, messages.REQUEST_ANSWERED, deps, MERGED_ANSWERS, fields, digest=digest)
    deps.sender.wake()


MERGED_ANSWERS = {
    messages.REQUEST_ANSWERED: messages.REQUESTS_ANSWERED,
    messages.REQUESTS_ANSWERED: messages.REQUESTS_ANSWERED,
}
"""An answer's notice still waiting to go absorbs the next one: one email, "answers", to Mes demandes."""


Digest = tuple[str, store.DigestKind, Collection[str]]
"""What the daily summary keeps of events: the physician's key, what they are, their ids."""


async def _notice(
    conn: Connection,
    contact: Contact | None,
    kind: str,
    deps: Deps,
    merge: dict[str, str],
    fields: dict[str, str] | None = None,
    *,
    digest: Digest,
) -> None:
    """In the caller's transaction: the email, or the events kept for the daily summary, as the
    physician chose.

    The profile's one choice of emails (`notify_new_documents`) covers documents and answers
    alike: "each" sends this email; "digest" keeps the events for the next daily summary
    (summaries.py), which counts them; "none" nothing at all."""
    if contact is None or contact.notify_new_documents == "none":
        return
    if contact.notify_new_documents == "digest":
        physician, counted, event_ids = digest
        await store.add_to_digest(conn, contact.account_id, physician, counted, event_ids)
        return
    await store.add_email(
        conn, contact.account_id, contact.email, contact.locale, kind, deps.mail_domain, merge, fields
    )


async def record_rejection(subject: str, event_id: str | None, reason: str, *, deps: Deps) -> None:
    """A message on our own stream that could not be processed: a bug to look at. Kept and audited,
    committed before the message is acknowledged."""
    record = audit.AuditRecord(
        action="message.rejected",
        outcome="failure",
        actor=audit.Party(kind="system", id="notify"),
        entity=audit.Entity(kind="message", id=event_id),
        detail=f"{subject}: {reason}"[:500],
    )
    async with deps.outbox.transaction() as conn:
        await rejections.record(conn, subject, event_id, reason)
        await enqueue(conn, audit.subject_for("notify"), record)
