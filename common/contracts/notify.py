"""Requests the notify service answers."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

SEND_SMS = "notify.api.sms.send"


class SendSms(BaseModel):
    """An SMS to send now (one-time codes). The text is never logged."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    to: str = Field(pattern=r"^\+[1-9][0-9]{6,14}$", description="E.164 number")
    text: str = Field(min_length=1, max_length=480)


class SmsAccepted(BaseModel):
    provider_id: str
