"""What the requests service tells others, in the caller's transaction (the outbox): a message
for the hospital, checked against its published JSON Schema first, and the audit record of who
did what."""

from __future__ import annotations

from pydantic import BaseModel

from common.contracts import audit
from common.contracts.schemas import validate_published
from common.db import Connection
from common.outbox import enqueue
from common.tokens import Caller


async def publish(conn: Connection, subject: str, message: BaseModel) -> None:
    """A `portal.requests.*` message, sent only if it follows the schema the contract publishes."""
    validate_published(subject, message.model_dump_json().encode())
    await enqueue(conn, subject, message)


async def audited(
    conn: Connection, caller: Caller, action: audit.Action, entity: audit.Entity, detail: str = ""
) -> None:
    """What the caller (a physician, an administrator, a service's member) did, for the audit log."""
    actor = audit.Party(kind="physician" if caller.role == "physician" else "staff", id=caller.account_id)
    entry = audit.AuditRecord(action=action, outcome="success", actor=actor, entity=entity, detail=detail)
    await enqueue(conn, audit.subject_for("requests"), entry)
