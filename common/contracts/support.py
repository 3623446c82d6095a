"""Messages to the portal's support (F8), sent with the help page's contact form, logged in or
not. Answered by identity, which keeps them for the administrators and has notify email each to
the support's address."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import EmailStr, Field, StringConstraints

from .base import ClientIp, Empty, Endpoint, Message, SignedEndpoint, hidden

TEXT_MAX_LENGTH = 3000

Topic = Literal["documents", "login", "registration", "other"]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TEXT_MAX_LENGTH)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class SupportMessage(Message):
    """From a session: the sender is the session's account (its name and email address)."""

    topic: Topic
    text: Text
    client_ip: ClientIp = ""


class AnonymousSupportMessage(SupportMessage):
    """From someone not logged in: they say who they are and where to answer."""

    name: Name
    email: EmailStr = Field(max_length=254)


class SupportInboxPage(Message):
    page: int = Field(default=1, ge=1, le=10_000)
    per_page: int = Field(default=50, ge=1, le=200)


class ReceivedSupportMessage(Message):
    id: str
    received_at: datetime
    name: str
    email: str
    login: str | None = Field(description="the sender's login name when they were logged in")
    logged_in: bool
    topic: Topic
    text: str


class SupportInbox(Message):
    items: list[ReceivedSupportMessage]
    total: int
    page: int
    per_page: int


WRITE_TO_SUPPORT = Endpoint("identity.api.support.write", AnonymousSupportMessage, Empty)
WRITE_TO_SUPPORT_SIGNED = SignedEndpoint("identity.api.support.write_signed", SupportMessage, Empty)
LIST_SUPPORT_MESSAGES = hidden("identity.api.support.list", SupportInboxPage, SupportInbox)
