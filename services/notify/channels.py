"""The two ways out, as the sender sees them: prepare a message (compose its text, open what must be
open), then hand it over with `complete()`, or `abandon()` it before anything left.

An email is prepared up to its accepted SMTP envelope (`mail.Submission`); an SMS is prepared
in memory and handed over by one HTTP request. A sealed secret is opened only here, at the
moment of sending, and the text that holds it lives only as long as the hand-over.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Protocol

from common.envelopes import Opener, SealingError

from . import help_texts, messages, sms_texts
from .ledger import Outgoing
from .mail import Mailer
from .outcomes import Expired, Refused
from .sms import SmsProvider


class Handover(Protocol):
    async def complete(self) -> None: ...

    def abandon(self) -> None: ...


class Channel(Protocol):
    name: str  # in metrics: email, sms
    receiver: str  # in the outage log and metrics: mail server, sms provider

    async def prepare(self, item: Outgoing) -> Handover: ...


def _secret(opener: Opener, item: Outgoing) -> str | None:
    if item.sealed is None:
        return None
    try:
        return opener.open(item.sealed)
    except SealingError:
        raise Refused("a secret sealed with another key") from None


class EmailChannel:
    name = "email"
    receiver = "mail server"

    def __init__(self, mailer: Mailer, portal_url: str, opener: Opener) -> None:
        self._mailer, self._portal_url, self._opener = mailer, portal_url, opener

    async def prepare(self, item: Outgoing) -> Handover:
        compose = help_texts.compose if help_texts.writes(item.kind) else messages.compose
        text = compose(item.kind, item.locale, self._portal_url, item.fields, _secret(self._opener, item))
        return await self._mailer.prepare(item.address, text, message_id=item.message_id)


class _SmsHandover:
    def __init__(self, provider: SmsProvider, item: Outgoing, text: str) -> None:
        self._provider, self._item, self._text = provider, item, text

    async def complete(self) -> None:
        await self._provider.send(self._item.address, self._text, idempotency_token=self._item.message_id)

    def abandon(self) -> None:
        self._text = ""


class SmsChannel:
    name = "sms"
    receiver = "sms provider"

    def __init__(self, provider: SmsProvider, opener: Opener) -> None:
        self._provider, self._opener = provider, opener

    async def prepare(self, item: Outgoing) -> Handover:
        fields = item.fields
        if item.expires_at is not None:
            left = (item.expires_at - datetime.now(UTC)).total_seconds()
            if left <= 0:
                raise Expired("a code past its expiry")
            fields = {**fields, "minutes": math.ceil(left / 60)}
        text = sms_texts.compose(item.kind, item.locale, fields, _secret(self._opener, item))
        return _SmsHandover(self._provider, item, text)
