"""Identity's audit trail: what happened, by whom, to what, recorded in the caller's transaction
(the outbox sends the record on `audit.record.identity` once that transaction committed)."""

from __future__ import annotations

from typing import Literal

from common.contracts import audit
from common.db import Connection
from common.outbox import enqueue

from . import store

SUBJECT = audit.subject_for("identity")
SYSTEM = audit.Party(kind="system")


def actor(account_id: str | None, role: str | None) -> audit.Party:
    """Who acted, known by account id and role: a physician, a staff member, or anonymous (no account)."""
    if account_id is None:
        return audit.Party(kind="anonymous")
    return audit.Party(kind="physician" if role == "physician" else "staff", id=account_id)


def account(account_id: str) -> audit.Entity:
    return audit.Entity(kind="account", id=account_id)


def session(session_id: str) -> audit.Entity:
    return audit.Entity(kind="session", id=session_id)


def registration(request_id: str) -> audit.Entity:
    return audit.Entity(kind="registration", id=request_id)


def support_message(message_id: str) -> audit.Entity:
    return audit.Entity(kind="message", id=message_id)


def application(application_id: str) -> audit.Entity:
    return audit.Entity(kind="application", id=application_id)


async def record(
    conn: Connection,
    action: audit.Action,
    *,
    by: store.Account | audit.Party | None,
    entity: audit.Entity | None = None,
    outcome: Literal["success", "failure"] = "success",
    client_ip: str = "",
    detail: str = "",
) -> None:
    """Record, in the caller's transaction, that `by` (an account, a party such as the system, or
    None for someone not logged in) did `action` to `entity` from `client_ip` ("" for none)."""
    if isinstance(by, audit.Party):
        party = by
    else:
        party = actor(None, None) if by is None else actor(by.id, by.role)
    await enqueue(
        conn,
        SUBJECT,
        audit.AuditRecord(
            action=action,
            outcome=outcome,
            actor=party,
            entity=entity,
            client_ip=client_ip or None,
            detail=detail,
        ),
    )
