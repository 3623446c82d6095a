"""Notify's handlers: one per subject, typed message in, dependencies as arguments."""
from __future__ import annotations

import logging
from typing import Awaitable, Callable

import asyncpg
from nats.aio.client import Client as NATS

from common.bus import call
from common.contracts import hospital, identity
from common.contracts.hospital import DocumentDelivered
from common.contracts.identity import Contact, ContactLookup
from common.contracts.notify import MailAccepted, SendMail, SendSms, SmsAccepted
from common.errors import InvalidRequest, NotFound

from . import messages, store
from .mail import Mailer, MailRefused
from .messages import MailText
from .sms import SmsProvider

log = logging.getLogger(__name__)

NEW_DOCUMENT = "new_document"

FindContact = Callable[[str], Awaitable[Contact | None]]


async def send_sms(message: SendSms, provider: SmsProvider) -> SmsAccepted:
    """`notify.api.sms.send`: send the SMS now; the text is never logged nor stored."""
    return SmsAccepted(provider_id=await provider.send(message.to, message.text))


async def send_mail(message: SendMail, mailer: Mailer) -> MailAccepted:
    """`notify.api.mail.send`: submit the email now; a refusal for good is an invalid request."""
    try:
        await mailer.send(str(message.to), MailText(subject=message.subject, body=message.body))
    except MailRefused as refused:
        raise InvalidRequest(str(refused)) from None
    return MailAccepted()


async def find_contact(nc: NATS, physician: str) -> Contact | None:
    """Ask identity how to reach a physician; None when identity does not know them."""
    try:
        return await call(nc, identity.CONTACT, ContactLookup(physician=physician), Contact)
    except NotFound:
        return None


async def announce_delivered_document(
    event: DocumentDelivered,
    *,
    pool: asyncpg.Pool,
    contacts: FindContact,
    mailer: Mailer,
    portal_url: str,
) -> None:
    """`portal.documents.delivered`, one event (when a batch failed): as a batch of one."""
    await announce_delivered_documents(
        [(hospital.DELIVERED, event)], pool=pool, contacts=contacts, mailer=mailer, portal_url=portal_url
    )


async def announce_delivered_documents(
    items: list[tuple[str, DocumentDelivered]],
    *,
    pool: asyncpg.Pool,
    contacts: FindContact,
    mailer: Mailer,
    portal_url: str,
) -> None:
    """A fetched batch of deliveries: one email per physician, however many documents they got.

    A burst of documents for one physician is one email, not one per document. A failure raises,
    and the consumer then handles the events one at a time.
    """
    events = [event for _, event in items]
    async with pool.acquire() as conn:
        done = await store.processed_among(conn, [event.event_id for event in events])
    by_physician: dict[str, list[DocumentDelivered]] = {}
    for event in events:
        if event.event_id not in done:
            by_physician.setdefault(event.physician.key, []).append(event)
    for physician, theirs in by_physician.items():
        contact = await contacts(physician)
        async with pool.acquire() as conn, conn.transaction():
            claimed = await store.claim_events(conn, [event.event_id for event in theirs], hospital.DELIVERED)
            if not claimed or contact is None or contact.notify_new_documents != "each":
                continue
            try:
                text = messages.new_document(contact.locale, portal_url, several=len(claimed) > 1)
                await mailer.send(contact.email, text)
            except MailRefused:
                continue
            await store.record_sent_email(conn, contact.account_id, NEW_DOCUMENT)
