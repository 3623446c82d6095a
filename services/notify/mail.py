"""Submitting email to the mail server (SMTP, aiosmtplib)."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

import aiosmtplib

from common.errors import ServiceUnavailable

from .config import SmtpSettings
from .messages import MailText

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 15.0


class MailRefused(Exception):
    """The mail server refused this message for good (5xx on its recipient or content): retrying will not help."""


class Mailer:
    def __init__(self, settings: SmtpSettings, sender: str) -> None:
        self._settings = settings
        self._sender = sender
        self._domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"

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
        message["Date"] = format_datetime(datetime.now(timezone.utc))
        message["Message-ID"] = message_id or make_msgid(domain=self._domain)
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(text.body)
        return message

    async def send(self, to: str, text: MailText, message_id: str | None = None) -> None:
        """Submit one email; raise ServiceUnavailable when it may work later, MailRefused when it never will."""
        smtp = self._settings
        try:
            await aiosmtplib.send(
                self.compose(to, text, message_id),
                hostname=smtp.host,
                port=smtp.port,
                username=smtp.username,
                password=smtp.password,
                start_tls=smtp.starttls,
                timeout=TIMEOUT_SECONDS,
            )
        except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError) as exc:
            # Log codes only: the server's text often quotes the recipient's address.
            code = getattr(exc, "code", None) or _first_code(exc)
            if code is not None and 500 <= code < 600:
                log.warning("mail server refused a message for good (%d)", code)
                raise MailRefused(f"refused by the mail server ({code})") from None
            log.warning("mail server deferred a message (%s)", code)
            raise ServiceUnavailable("mail server unavailable") from None
        except aiosmtplib.SMTPException as exc:
            # Connection, timeout, authentication, TLS: an outage or a configuration to fix; retry.
            log.warning("mail server unavailable (%s%s)", type(exc).__name__, f" {exc.code}" if hasattr(exc, "code") else "")
            raise ServiceUnavailable("mail server unavailable") from None


def _first_code(exc: Exception) -> int | None:
    recipients = getattr(exc, "recipients", None) or []
    return recipients[0].code if recipients else None
