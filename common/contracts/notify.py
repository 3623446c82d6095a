"""Requests the notify service answers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, EmailStr, Field

SEND_SMS = "notify.api.sms.send"
SEND_MAIL = "notify.api.mail.send"


class SendSms(BaseModel):
    """An SMS to send now (one-time codes). The text is never logged."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    to: str = Field(pattern=r"^\+[1-9][0-9]{6,14}$", description="E.164 number")
    text: str = Field(min_length=1, max_length=480)


class SmsAccepted(BaseModel):
    provider_id: str


class SendMail(BaseModel):
    """An email to send now, for an account's own business (its temporary password). The text is
    never logged; it names no patient."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    to: EmailStr
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=10_000)


class MailAccepted(BaseModel):
    accepted: bool = True
