"""Sending the emails notify decided, after the transaction that decided them committed.

Each email is sent at most once: its row is marked 'sending' and committed before the mail
server is called, and 'sent' after it accepted. A failed commit never repeats a sent email (the
'sent' mark is retried until the database takes it); a crash after the mail server's answer
and before that mark leaves the row 'sending', and once its lease is over it is marked
'uncertain' and logged, never sent again. The Message-ID of an email is made of its row's id,
so that the mail server's logs and ours name the same message.
"""
from __future__ import annotations

import asyncio
import logging

import asyncpg

from common import metrics
from common.errors import ServiceUnavailable
from common.outages import OUTAGES

from . import messages, store
from .mail import Mailer, MailRefused

log = logging.getLogger(__name__)

CLAIM = 20  # emails marked 'sending' at a time
SENDING_AT_ONCE = 4  # SMTP transactions side by side
IDLE_SECONDS = 1.0  # looked at again this often when nothing was due
ABANDONED_EVERY_SECONDS = 10.0
MAIL_SERVER = "mail server"


def retry_wait(attempts: int) -> float:
    """Seconds before trying again an email the mail server could not take: 2, 4, 8… up to 5 minutes."""
    return float(min(300, 2**attempts))


class EmailSender:
    """Sends the due emails of `outgoing_emails`, in every copy of notify (rows are claimed, not shared)."""

    def __init__(self, pool: asyncpg.Pool, mailer: Mailer, portal_url: str) -> None:
        self._pool = pool
        self._mailer = mailer
        self._portal_url = portal_url
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(SENDING_AT_ONCE)

    def wake(self) -> None:
        """Call after a commit that added emails: they go now rather than at the next look."""
        self._wake.set()

    async def run(self) -> None:
        last_look_for_abandoned = 0.0
        loop = asyncio.get_running_loop()
        while True:
            if loop.time() - last_look_for_abandoned >= ABANDONED_EVERY_SECONDS:
                await self._mark_abandoned()
                last_look_for_abandoned = loop.time()
            self._wake.clear()
            due = await OUTAGES.retry(self._claim)
            if due:
                await asyncio.gather(*(self._send(email) for email in due))
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), IDLE_SECONDS)
            except asyncio.TimeoutError:
                pass

    async def _claim(self) -> list[store.Email]:
        async with self._pool.acquire() as conn:
            return await store.claim_due_emails(conn, CLAIM)

    async def _mark_abandoned(self) -> None:
        async def mark() -> int:
            async with self._pool.acquire() as conn:
                return await store.abandoned_emails(conn)

        abandoned = await OUTAGES.retry(mark)
        if abandoned:
            # A copy died between claiming and confirming these: the mail server may have them.
            log.warning("%d email(s) interrupted while sending by a stopped copy: marked uncertain, not sent again", abandoned)
            metrics.NOTIFICATIONS_FAILED.labels("email", "uncertain").inc(abandoned)

    async def _send(self, email: store.Email) -> None:
        """Send one claimed email and record the outcome (outages of the database waited out)."""
        try:
            text = messages.compose(email.kind, email.locale, self._portal_url)
        except KeyError:
            log.error("no text for emails of kind %r: set aside", email.kind)
            await self._record(store.email_refused, email)
            return
        async with self._slots:
            try:
                await self._mailer.send(email.address, text, message_id=email.message_id)
            except MailRefused:
                metrics.NOTIFICATIONS_FAILED.labels("email", "refused").inc()
                await self._record(store.email_refused, email)
                return
            except ServiceUnavailable as exc:
                OUTAGES.failing(MAIL_SERVER, exc)
                metrics.NOTIFICATIONS_FAILED.labels("email", "unavailable").inc()
                wait = retry_wait(email.attempts)
                await self._record(lambda conn, email_id: store.email_deferred(conn, email_id, wait), email)
                return
        OUTAGES.working(MAIL_SERVER)
        metrics.NOTIFICATIONS_SENT.labels("email", email.kind).inc()
        await self._record(store.email_sent, email)

    async def _record(self, update, email: store.Email) -> None:  # type: ignore[no-untyped-def]
        async def write() -> None:
            async with self._pool.acquire() as conn:
                await update(conn, email.id)

        await OUTAGES.retry(write)
