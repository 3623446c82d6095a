"""Submitting email to the mail server (SMTP, aiosmtplib)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

import aiosmtplib
from aiosmtplib.email import flatten_message

from common.errors import ServiceUnavailable

from .config import SmtpSettings
from .messages import MailText
from .outcomes import InDoubt, Refused

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 15.0


class MailInDoubt(InDoubt):
    """The connection was lost while the message was being handed over: it may have been delivered."""


class MailRefused(Refused):
    """The mail server refused this message for good (5xx on its recipient or content): retrying will not help."""


class Mailer:
    def __init__(self, settings: SmtpSettings, sender: str) -> None:
        self._settings = settings
        self._sender = sender
        self._address = parseaddr(sender)[1]
        self._domain = self._address.rpartition("@")[2] or "localhost"

    @property
    def domain(self) -> str:
        """The sender's domain: the right-hand part of the Message-IDs."""
        return self._domain

    def compose(self, to: str, text: MailText, message_id: str | None = None) -> EmailMessage:
        """The message as it will be sent: plain text, UTF-8, marked as automatic."""
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = to
        message["Subject"] = text.subject
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = message_id or make_msgid(domain=self._domain)
        message["Auto-Submitted"] = "auto-generated"
        if text.reply_to:
            message["Reply-To"] = text.reply_to
        message.set_content(text.body)
        return message

    async def prepare(self, to: str, text: MailText, message_id: str | None = None) -> Submission:
        """Open an SMTP transaction up to its accepted envelope (connection, TLS, login, MAIL, RCPT).

        Nothing is delivered until `Submission.complete()`: a failure or a crash before it leaves
        the mail server with an unfinished transaction, which it discards. Raises as `send`.
        """
        smtp_settings = self._settings
        message = self.compose(to, text, message_id)
        smtp = aiosmtplib.SMTP(
            hostname=smtp_settings.host,
            port=smtp_settings.port,
            username=smtp_settings.username,
            password=smtp_settings.password,
            start_tls=smtp_settings.starttls,
            timeout=TIMEOUT_SECONDS,
        )
        try:
            async with _translated_errors():
                await smtp.connect()
                utf8 = not (self._address + to).isascii()
                options = ["SMTPUTF8"] if utf8 else []
                if smtp.supports_extension("8BITMIME"):
                    options.append("BODY=8BITMIME")
                await smtp.mail(self._address, options=options, encoding="utf-8" if utf8 else "ascii")
                await smtp.rcpt(to, encoding="utf-8" if utf8 else "ascii")
        except BaseException:
            smtp.close()
            raise
        cte = "8bit" if smtp.supports_extension("8BITMIME") else "7bit"
        return Submission(smtp, flatten_message(message, utf8=utf8, cte_type=cte))


class Submission:
    """An SMTP transaction whose envelope the mail server accepted; the message goes with `complete()`."""

    def __init__(self, smtp: aiosmtplib.SMTP, data: bytes) -> None:
        self._smtp = smtp
        self._data = data

    async def complete(self) -> None:
        """Send the message (DATA): once the server answers 250, it is the server's. A connection
        lost before that answer raises MailInDoubt: the server may have it."""
        try:
            async with _translated_errors():
                try:
                    await self._smtp.data(self._data)
                except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError):
                    log.warning("mail server connection lost during DATA: the message may have gone")
                    raise MailInDoubt("the mail server's answer never came") from None
            try:
                await self._smtp.quit()
            except aiosmtplib.SMTPException:
                pass  # delivered already; the goodbye does not matter
        finally:
            self._data = b""  # it may hold a temporary password: kept no longer than the hand-over
            self._smtp.close()

    def abandon(self) -> None:
        """Drop the connection before DATA: the server discards the transaction, nothing is sent."""
        self._data = b""
        self._smtp.close()


@contextlib.asynccontextmanager
async def _translated_errors() -> AsyncIterator[None]:
    """SMTP failures as the callers know them: MailRefused for good (5xx on the recipient or the
    content), ServiceUnavailable otherwise (connection, timeout, authentication, TLS, 4xx)."""
    try:
        yield
    except MailInDoubt:
        raise
    except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError) as exc:
        # Log codes only: the server's text often quotes the recipient's address.
        code = getattr(exc, "code", None) or _first_code(exc)
        if code is not None and 500 <= code < 600:
            log.warning("mail server refused a message for good (%d)", code)
            raise MailRefused(f"refused by the mail server ({code})") from None
        log.warning("mail server deferred a message (%s)", code)
        raise ServiceUnavailable("mail server unavailable") from None
    except aiosmtplib.SMTPException as exc:
        log.warning(
            "mail server unavailable (%s%s)", type(exc).__name__, f" {exc.code}" if hasattr(exc, "code") else ""
        )
        raise ServiceUnavailable("mail server unavailable") from None
    except (OSError, ValueError) as exc:
        # TLS (an expired certificate: ssl.SSLError), a socket error aiosmtplib let through, an
        # address it cannot encode: the mail server cannot take it now, a person must look.
        log.warning("mail server unusable (%s)", type(exc).__name__)
        raise ServiceUnavailable("mail server unavailable") from None


def _first_code(exc: Exception) -> int | None:
    recipients = getattr(exc, "recipients", None) or []
    return recipients[0].code if recipients else None
