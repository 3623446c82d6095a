"""Sending the emails notify decided, after the transaction that decided them committed.

Each email is sent at most once. A copy claims a row ('preparing') and opens the SMTP
transaction up to its accepted envelope; only then it commits 'sending' and hands the message
over (DATA), and commits 'sent' once the mail server took it. So:
- a failure or a crash before DATA delivered nothing: the row is due again (at once, or once the
  copy that died has been silent SILENT_SECONDS), and the mail server discarded the unfinished
  transaction;
- a failed commit after DATA never sends it twice: 'sent' is retried until the database takes it;
- a crash during DATA, or between the server's answer and 'sent' (a few milliseconds), leaves
  it 'sending': once the copy is known stopped it is marked 'uncertain', logged and counted,
  never sent again.
The Message-ID of an email is made of its row's id, so the mail server's logs and ours agree.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

import asyncpg

from common import metrics
from common.errors import ServiceUnavailable
from common.outages import DATABASE, OUTAGES, dependency_of

from . import messages, store
from .mail import Mailer, MailInDoubt, MailRefused

log = logging.getLogger(__name__)

SENDING_AT_ONCE = 4  # SMTP transactions side by side, each claiming its email just before sending it
IDLE_SECONDS = 1.0  # looked at again this often when nothing was due
ALIVE_EVERY_SECONDS = 2.0  # each copy says it is alive this often (store.SILENT_SECONDS: stopped)
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
        self._wakes = [asyncio.Event() for _ in range(SENDING_AT_ONCE)]
        self._instance = uuid.uuid4()
        self._stopping = asyncio.Event()
        self._stopped = asyncio.Event()

    def wake(self) -> None:
        """Call after a commit that added emails: they go now rather than at the next look."""
        for event in self._wakes:
            event.set()

    async def run(self) -> None:
        """Send what is due with a few SMTP transactions side by side, and settle what a stopped
        copy left, until `stop`."""
        alive = asyncio.create_task(self._keep_alive())
        try:
            await asyncio.gather(*(self._send_forever(wake) for wake in self._wakes))
        finally:
            alive.cancel()
            await asyncio.gather(alive, return_exceptions=True)
            self._stopped.set()

    async def stop(self, timeout: float = 20.0) -> None:
        """Claim no more, and let the emails under way be handed over and recorded (each SMTP step
        is given 15 s): a restart leaves none in doubt."""
        self._stopping.set()
        self.wake()
        try:
            await asyncio.wait_for(self._stopped.wait(), timeout)
        except TimeoutError:
            log.warning("stopped while an email was under way; it may be left in doubt")

    async def _send_forever(self, wake: asyncio.Event) -> None:
        # One email claimed at a time, just before it is sent: a crash leaves in doubt only the
        # emails whose SMTP transaction was under way, never a batch waiting its turn.
        while not self._stopping.is_set():
            wake.clear()  # before looking: a wake after this finds the email or sets it again
            due = await OUTAGES.retry(self._claim)
            if due is not None:
                try:
                    await self._send(due)
                except Exception:  # a bug: the sender goes on, the email is tried again or in doubt
                    log.exception("sending an email failed")
                    await self._record(lambda conn, held: store.email_interrupted(conn, held, 60), due)
                continue
            try:
                await asyncio.wait_for(wake.wait(), IDLE_SECONDS)
            except TimeoutError:
                pass

    async def _claim(self) -> store.Email | None:
        async with self._pool.acquire() as conn:
            return await store.claim_due_email(conn, self._instance)

    async def _keep_alive(self) -> None:
        """Say this copy is alive, and take back what stopped copies held.

        A copy judges the others only once it has been heard twice in a row: just after an outage
        of the database every copy looks silent. A copy judged stopped by mistake loses nothing
        and sends nothing twice: its next step on a row checks that it still holds it."""
        heard = 0
        while True:
            try:
                async with self._pool.acquire() as conn:
                    await store.alive(conn, self._instance)
                    heard += 1
                    if heard >= 2:
                        self._report_abandoned(*await store.abandoned_emails(conn))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if dependency_of(exc) is None:
                    raise
                OUTAGES.failing(DATABASE, exc)
                heard = 0
            await asyncio.sleep(ALIVE_EVERY_SECONDS)

    def _report_abandoned(self, again: int, in_doubt: int) -> None:
        if again:
            log.info("%d email(s) a stopped copy was preparing are due again", again)
        if in_doubt:
            # A copy died while handing these over: the mail server may have them.
            log.warning(
                "%d email(s) interrupted while handed over by a stopped copy: marked uncertain, not sent again",
                in_doubt,
            )
            metrics.NOTIFICATIONS_FAILED.labels("email", "uncertain").inc(in_doubt)

    async def _send(self, email: store.Email) -> None:
        """Send one claimed email and record the outcome (outages of the database waited out).

        Whatever fails, the row is settled: before the hand-over it is due again (or refused),
        from the hand-over on it is sent or in doubt. A failure never stops the sender."""
        try:
            text = messages.compose(email.kind, email.locale, self._portal_url)
            submission = await self._mailer.prepare(email.address, text, message_id=email.message_id)
        except MailRefused:
            await self._refused(email)
            return
        except ServiceUnavailable as exc:
            await self._deferred(email, exc)
            return
        except Exception:
            log.exception("an email could not be prepared; set aside")
            await self._refused(email)
            return
        try:
            held = await self._mark_sending(email)
        except BaseException:
            submission.abandon()
            raise
        if not held:
            submission.abandon()  # another copy took it back (this one was too slow): theirs now
            return
        try:
            await submission.complete()
        except MailRefused:
            await self._refused(email)
            return
        except MailInDoubt:
            await self._in_doubt(email)
            return
        except ServiceUnavailable as exc:
            await self._deferred(email, exc)
            return
        except Exception:
            log.exception("handing an email over failed: in doubt, not sent again")
            await self._in_doubt(email)
            return
        OUTAGES.working(MAIL_SERVER)
        metrics.NOTIFICATIONS_SENT.labels("email", email.kind).inc()
        await self._record(store.email_sent, email)

    async def _mark_sending(self, email: store.Email) -> bool:
        """One attempt: with the SMTP transaction open, an outage of the database is not waited
        out here; the row goes back to 'pending' once the database answers (nothing was sent)."""
        try:
            async with self._pool.acquire() as conn:
                return await store.email_sending(conn, email)
        except Exception as exc:
            if dependency_of(exc) is None:
                raise
            OUTAGES.failing(DATABASE, exc)
            await self._record(lambda conn, held: store.email_deferred(conn, held, 0), email)
            return False

    async def _refused(self, email: store.Email) -> None:
        metrics.NOTIFICATIONS_FAILED.labels("email", "refused").inc()
        await self._record(store.email_refused, email)

    async def _in_doubt(self, email: store.Email) -> None:
        metrics.NOTIFICATIONS_FAILED.labels("email", "uncertain").inc()
        await self._record(store.email_in_doubt, email)

    async def _deferred(self, email: store.Email, exc: BaseException) -> None:
        OUTAGES.failing(MAIL_SERVER, exc)
        metrics.NOTIFICATIONS_FAILED.labels("email", "unavailable").inc()
        wait = retry_wait(email.attempts)
        await self._record(lambda conn, held: store.email_deferred(conn, held, wait), email)

    async def _record(self, update, email: store.Email) -> None:  # type: ignore[no-untyped-def]
        async def write() -> None:
            async with self._pool.acquire() as conn:
                await update(conn, email)

        await OUTAGES.retry(write)
