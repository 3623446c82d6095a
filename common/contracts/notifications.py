"""What the services ask notify to send: typed, durable commands.

A service never composes an email or an SMS: it enqueues one of these commands in the
transaction that decided it (its outbox), and the outbox relay publishes it on the NOTIFY stream
after the commit, with `Nats-Msg-Id` = `event_id`. Notify records it once (its inbox), writes it
in its ledger in the same transaction, and sends it after that commit, in the recipient's
language, with its own texts. A crash anywhere between loses nothing and repeats nothing.

Secrets (codes, temporary passwords) travel sealed to notify's public key (`common.envelopes`):
no table or stream on the way holds them readable.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, EmailStr, Field, model_validator

from .base import Message, SignedEndpoint, hidden
from .phones import MobileNumber

STREAM = "NOTIFY"
SUBJECTS = "notify.command.>"
SEND_CODE = "notify.command.code"
SEND_TEMPORARY_PASSWORD = "notify.command.temporary_password"
SEND_NOTICE = "notify.command.notice"
SEND_EMAIL_NOTICE = "notify.command.email_notice"
SEND_RECOVERY_LINK = "notify.command.recovery_link"
SEND_SUPPORT_MESSAGE = "notify.command.support_message"

SealedSecret = str
"""base64 of a libsodium sealed box (common.envelopes), openable by notify alone."""

CodePurpose = Literal[
    "login",  # the second factor of a login
    "password_change",  # confirms a new password, from a session
    "mobile_change",  # confirms a new mobile number, sent to the current one
    "new_mobile",  # proves the new mobile number works
    "registration_control",  # read back by the applicant to the validator
    "mobile_control",  # read back by the physician to the administrator who changes the number
    "account_unlock",  # unlocks a login blocked by failed attempts
    "password_recovery",  # confirms a new password chosen through a recovery link (no session)
]
TemporaryPasswordReason = Literal["login_created", "staff_created", "password_reset", "app_reset"]
NoticeKind = Literal["mobile_changed", "hin_linked"]
EmailNoticeKind = Literal[
    "registration_attempt",  # the public form was sent with the number of this account (or request in progress)
    "recovery_hin",  # a forgotten password asked for an account that logs in with HIN: use HIN
    "recovery_staff",  # ... for a hospital staff account: an administrator gives a new password
    "recovery_support",  # ... for an account without a mobile number: the support helps
    "registration_refused",  # a validator refused the applicant's registration request (`refusal` says why)
]
RegistrationRefusalReason = Literal[
    "identity_not_confirmed",  # the identity document shown did not confirm who the applicant is
    "number_not_theirs",  # the GLN or RPPS number is not that of a physician in practice by this name
    "shared_account",  # the account would be a practice's or a secretariat's: one account, one physician
    "no_identity_check",  # the identity check did not take place
    "other",  # the support tells more
]


class Command(Message):
    event_id: str = Field(default_factory=lambda: uuid.uuid4().hex, min_length=1, max_length=64)
    account_id: str | None = Field(default=None, max_length=64, description="whose notification log it joins")
    locale: str = Field(default="fr", max_length=16, description="the recipient's language; unknown ones get French")


class SendCode(Command):
    """A one-time code by SMS. Not sent once it has expired (it could no longer be used)."""

    to: MobileNumber
    purpose: CodePurpose
    code: SealedSecret = Field(min_length=1, max_length=512)
    expires_at: AwareDatetime


class SendTemporaryPassword(Command):
    """A login name and its temporary password, by email."""

    to: EmailStr = Field(max_length=254)
    reason: TemporaryPasswordReason
    login: str = Field(min_length=1, max_length=60)
    password: SealedSecret = Field(min_length=1, max_length=512)
    valid_hours: int = Field(ge=1, le=720)


class SendNotice(Command):
    """A courtesy SMS about the account itself (a change already made): no secret, no patient."""

    to: MobileNumber
    kind: NoticeKind


class Refusal(Message):
    """Which registration request was refused, and why (notify words the reason)."""

    reference: str = Field(pattern=r"^R-[0-9A-Z]{4}-[0-9A-Z]{4}$")
    reason: RegistrationRefusalReason


class SendEmailNotice(Command):
    """A courtesy email about the account itself (something tried with it), or about a registration
    request: no secret, no patient."""

    to: EmailStr = Field(max_length=254)
    kind: EmailNoticeKind
    refusal: Refusal | None = Field(default=None, description="registration_refused only: the request and why")

    @model_validator(mode="after")
    def _refusal_with_its_kind(self) -> SendEmailNotice:
        if (self.refusal is not None) != (self.kind == "registration_refused"):
            raise ValueError("a refusal goes with registration_refused, and only with it")
        return self


class SendRecoveryLink(Command):
    """A forgotten password's single-use link, by email (its token sealed: only notify opens it)."""

    to: EmailStr = Field(max_length=254)
    token: SealedSecret = Field(min_length=1, max_length=512)
    valid_minutes: int = Field(ge=1, le=24 * 60)


class SendSupportMessage(Command):
    """A message written to the support with the help page's form, by email to the support's
    address. Who wrote it and what it says travel sealed (a JSON object: name, email, login,
    topic, text, received_at), so that no table or stream on the way holds them readable."""

    to: EmailStr = Field(max_length=254)
    message: SealedSecret = Field(min_length=1, max_length=32_768)


SUBJECT_OF: dict[type[Command], str] = {
    SendCode: SEND_CODE,
    SendTemporaryPassword: SEND_TEMPORARY_PASSWORD,
    SendNotice: SEND_NOTICE,
    SendEmailNotice: SEND_EMAIL_NOTICE,
    SendRecoveryLink: SEND_RECOVERY_LINK,
    SendSupportMessage: SEND_SUPPORT_MESSAGE,
}


# The notification log (F10): what notify sent, when, to which address; never the content.

DAILY_SUMMARY_HOUR = 7
"""The hour (Europe/Zurich) of the daily summary when PORTAL_DAILY_SUMMARY_HOUR does not say."""

Channel = Literal["email", "sms"]
Category = Literal["documents", "answers", "daily_summary", "code", "notice", "password", "other"]
"""What a message was about, as the log's filter offers it (`other`: a kind of a newer notify)."""
Delivery = Literal["waiting", "sent", "refused", "uncertain", "expired"]
"""Where a message is: waiting (to be sent, or being sent), sent (the receiver took it), refused
(for good), uncertain (handed over when the answer was lost: the receiver may have it), expired (a
code no longer usable, not sent)."""


class NotificationQuery(Message):
    """One page of the caller's own notifications, the latest first."""

    page: int = Field(default=1, ge=1, le=10_000)
    per_page: int = Field(default=50, ge=1, le=200)


class NotificationSearch(NotificationQuery):
    """An administrator's search of everyone's notifications (each filter optional)."""

    account: str | None = Field(
        default=None, min_length=1, max_length=254, description="an account's id, or an address written to"
    )
    category: Category | None = None
    sent_from: date | None = Field(default=None, description="from this day (Europe/Zurich), inclusive")
    sent_to: date | None = Field(default=None, description="to this day (Europe/Zurich), inclusive")


class NotificationEntry(Message):
    channel: Channel
    kind: str = Field(description="notify's own kind (`code.login`, `new_documents`…): what, never the text")
    category: Category
    address: str
    delivery: Delivery
    created_at: datetime
    sent_at: datetime | None = None
    account_id: str | None = Field(default=None, description="whose (administrators' search only)")


class NotificationLog(Message):
    items: list[NotificationEntry]
    total: int
    page: int
    per_page: int


MY_NOTIFICATIONS = SignedEndpoint("notify.api.log.mine", NotificationQuery, NotificationLog)
SEARCH_NOTIFICATIONS = hidden("notify.api.log.search", NotificationSearch, NotificationLog)
