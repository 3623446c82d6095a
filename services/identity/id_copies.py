"""The copy of the identity document a validator keeps: a PDF, JPEG or PNG of at most 5 MB,
received in parts (the bus carries at most 1 MB a message), checked when whole, then sealed."""
from __future__ import annotations

import base64
import binascii
import uuid

from common.contracts import audit, registration as api
from common.errors import Conflict, InvalidRequest, NotFound

from .access import opaque_id, staff_account
from .handlers import Deps, audit_staff_action
from .validation import VALIDATOR_ROLES

def bound(request_id: uuid.UUID) -> str:
    return f"id-copy:{request_id}"


def _entity(request_id: uuid.UUID) -> audit.Entity:
    return audit.Entity(kind="registration", id=str(request_id))


async def receive_part(msg: api.IdCopyPart, deps: Deps) -> api.IdCopyReceived:
    request_id, upload = opaque_id(msg.id), opaque_id(msg.upload)
    try:
        data = base64.b64decode(msg.data_b64, validate=True)
    except binascii.Error:
        raise InvalidRequest("the part is not base64") from None
    if len(data) > api.ID_COPY_PART_BYTES:
        raise InvalidRequest("a part is at most 512 KB")
    async with deps.pool.acquire() as conn, conn.transaction():
        account = await staff_account(conn, deps, msg.session, VALIDATOR_ROLES)
        state = await conn.fetchval("SELECT state FROM registration_requests WHERE id = $1 FOR UPDATE", request_id)
        if state is None:
            raise NotFound()
        if state != "submitted":
            raise Conflict("the request is no longer waiting for its identity check")
        await conn.execute(
            "INSERT INTO id_copy_parts (upload_id, request_id, seq, data) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (upload_id, seq) DO UPDATE SET data = excluded.data",
            upload, request_id, msg.seq, data,
        )
        if not msg.last:
            return api.IdCopyReceived(stored=False)
        parts = await conn.fetch(
            "SELECT seq, data FROM id_copy_parts WHERE upload_id = $1 AND request_id = $2 ORDER BY seq", upload, request_id
        )
        await conn.execute("DELETE FROM id_copy_parts WHERE upload_id = $1 OR received_at < now() - interval '1 hour'", upload)
        if [part["seq"] for part in parts] != list(range(len(parts))):
            raise InvalidRequest("parts are missing")
        whole = b"".join(bytes(part["data"]) for part in parts)
        kind = api.id_copy_media_type(whole)
        if len(whole) > api.ID_COPY_MAX_BYTES:
            raise InvalidRequest("the copy is larger than 5 MB")
        if kind is None:
            raise InvalidRequest("the copy is not a PDF, JPEG or PNG file")
        await conn.execute(
            "UPDATE registration_requests SET id_copy = $2, id_copy_media_type = $3, id_copy_size = $4, "
            "id_copy_uploaded_at = now() WHERE id = $1",
            request_id, deps.sealer.seal(whole, bound(request_id)), kind, len(whole),
        )
        await audit_staff_action(conn, account, "registration.id_copy_stored", _entity(request_id))
    deps.outbox.wake()
    return api.IdCopyReceived(stored=True)


async def read(msg: api.IdCopyRead, deps: Deps) -> api.IdCopyChunk:
    """A part of the kept copy, for validators and administrators; each read is audited once, at its start."""
    request_id = opaque_id(msg.id)
    async with deps.pool.acquire() as conn:
        account = await staff_account(conn, deps, msg.session, VALIDATOR_ROLES)
        row = await conn.fetchrow(
            "SELECT id_copy, id_copy_media_type FROM registration_requests WHERE id = $1 AND id_copy IS NOT NULL", request_id
        )
        if row is None:
            raise NotFound()
        if msg.offset == 0:
            await audit_staff_action(conn, account, "registration.id_copy_viewed", _entity(request_id))
    deps.outbox.wake()
    whole = deps.sealer.open(bytes(row["id_copy"]), bound(request_id))
    end = msg.offset + api.ID_COPY_PART_BYTES
    return api.IdCopyChunk(
        media_type=row["id_copy_media_type"], size=len(whole),
        data_b64=base64.b64encode(whole[msg.offset : end]).decode(), last=end >= len(whole),
    )
