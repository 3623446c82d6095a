"""Requests the notify service answers."""

from __future__ import annotations

from pydantic import EmailStr, Field

from .base import Endpoint, Message


class SendSms(Message):
    """An SMS to send now (one-time codes). The text is never logged."""

    to: str = Field(pattern=r"^\+[1-9][0-9]{6,14}$", description="E.164 number")
    text: str = Field(min_length=1, max_length=480)


class SmsAccepted(Message):
    provider_id: str


class SendMail(Message):
    """An email to send now, for an account's own business (its temporary password). The text is
    never logged; it names no patient."""

    to: EmailStr
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=10_000)


class MailAccepted(Message):
    accepted: bool = True


SEND_SMS = Endpoint("notify.api.sms.send", SendSms, SmsAccepted)
SEND_MAIL = Endpoint("notify.api.mail.send", SendMail, MailAccepted)
