"""A consuming service's record of the hospital's messages it set aside: its own `rejections`
table, `portal.rejected` for the hospital and an audit record, committed before the message is
acknowledged (see common.consumed.RejectHandler)."""

from __future__ import annotations

import uuid

from .contracts import audit, hospital
from .db import Connection
from .outbox import enqueue

HOSPITAL = audit.Party(kind="hospital")


async def record(conn: Connection, subject: str, event_id: str | None, reason: str) -> None:
    """Keep a rejected message's subject, event id (when readable) and the reason it was set aside."""
    await conn.execute(
        "INSERT INTO rejections (subject, event_id, reason) VALUES ($1, $2, $3)", subject, event_id, reason
    )


async def reject(conn: Connection, service: str, subject: str, event_id: str | None, reason: str) -> None:
    """In the caller's transaction: recorded, reported on `portal.rejected`, audited by `service`."""
    await record(conn, subject, event_id, reason)
    rejected = hospital.Rejected(event_id=event_id, subject=subject, reason=reason)
    await enqueue(conn, hospital.REJECTED, rejected, uuid.uuid4().hex)
    entry = audit.AuditRecord(
        action="message.rejected",
        outcome="failure",
        actor=HOSPITAL,
        entity=audit.Entity(kind="message", id=event_id),
        detail=f"{subject}: {reason}"[:500],
    )
    await enqueue(conn, audit.subject_for(service), entry, uuid.uuid4().hex)
