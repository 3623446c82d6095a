"""What the requests service tells others, in the caller's transaction (the outbox): a message
for the hospital, checked against its published JSON Schema first, the audit record of who
did what, and to the portal's own processes that an answer arrived."""

from __future__ import annotations

import uuid

from pydantic import BaseModel

from common.contracts import audit
from common.contracts import requests as api
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


async def answer_arrived(conn: Connection, request_id: uuid.UUID) -> None:
    """In the answer's transaction (the request held): the physician has an unread answer until
    they open the request, and the gateways (counter, live pages) and notify (email) are told,
    with no patient data."""
    row = await conn.fetchrow(
        "UPDATE requests SET answer_unread = true WHERE id = $1 RETURNING account_id, physician", request_id
    )
    assert row is not None  # the caller holds it
    arrived = api.AnswerArrived(
        event_id=uuid.uuid4().hex, request_id=request_id, account_id=row["account_id"], physician=row["physician"]
    )
    await enqueue(conn, api.ANSWER_ARRIVED.subject, arrived)
