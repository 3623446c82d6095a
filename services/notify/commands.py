"""The other services' commands (NOTIFY stream): each recorded once and written in its ledger in
one transaction, then sent once that transaction committed (`sending.Sender`).

A redelivered command finds its event recorded and changes nothing; a crash before the commit
leaves the command unacknowledged, and it comes back. The sealed secret is kept sealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from common.contracts import notifications as notify

from . import store
from .help_texts import RECOVERY_LINK, SUPPORT_MESSAGE
from .ledger import Ledger
from .messages import EMAIL_NOTICE, TEMPORARY_PASSWORD
from .sending import Sender
from .sms_texts import CODE, NOTICE

CONSUMER = "notify-commands"


@dataclass(frozen=True)
class Deps:
    pool: asyncpg.Pool
    emails: Ledger
    sms: Ledger
    email_sender: Sender
    sms_sender: Sender
    mail_domain: str


async def code_asked(command: notify.SendCode, *, deps: Deps) -> None:
    row = {"kind": CODE + command.purpose, "address": command.to, "sealed": command.code}
    await _record(deps, command, deps.sms, deps.sms_sender, expires_at=command.expires_at, **row)


async def notice_asked(command: notify.SendNotice, *, deps: Deps) -> None:
    await _record(deps, command, deps.sms, deps.sms_sender, kind=NOTICE + command.kind, address=command.to)


async def email_notice_asked(command: notify.SendEmailNotice, *, deps: Deps) -> None:
    row = {"kind": EMAIL_NOTICE + command.kind, "address": str(command.to)}
    fields = command.refusal.model_dump() if command.refusal else None
    await _record(deps, command, deps.emails, deps.email_sender, fields=fields, **row)


async def temporary_password_asked(command: notify.SendTemporaryPassword, *, deps: Deps) -> None:
    fields = {"login": command.login, "valid_hours": command.valid_hours}
    row = {"kind": TEMPORARY_PASSWORD + command.reason, "address": str(command.to), "sealed": command.password}
    await _record(deps, command, deps.emails, deps.email_sender, fields=fields, **row)


async def recovery_link_asked(command: notify.SendRecoveryLink, *, deps: Deps) -> None:
    row = {"kind": RECOVERY_LINK, "address": str(command.to), "sealed": command.token}
    fields = {"valid_minutes": command.valid_minutes}
    await _record(deps, command, deps.emails, deps.email_sender, fields=fields, **row)


async def support_message_asked(command: notify.SendSupportMessage, *, deps: Deps) -> None:
    row = {"kind": SUPPORT_MESSAGE, "address": str(command.to), "sealed": command.message}
    await _record(deps, command, deps.emails, deps.email_sender, **row)


async def _record(deps: Deps, command: notify.Command, ledger: Ledger, sender: Sender, **row: Any) -> None:
    """The command recorded once, and its message written in `ledger`, in one transaction; then
    the sender looks at once."""
    async with deps.pool.acquire() as conn, conn.transaction():
        if await store.claim_events(conn, [command.event_id], notify.SUBJECT_OF[type(command)]):
            await ledger.insert(
                conn, locale=command.locale, domain=deps.mail_domain, account_id=command.account_id, **row
            )
    sender.wake()
