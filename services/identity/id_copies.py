"""The copy of the identity document a validator keeps: a PDF, JPEG or PNG of at most 5 MB,
received in parts of 512 KB (the bus carries at most 1 MB a message), each sealed as it arrives
and kept sealed, bound to its request, upload and position; checked when the last one arrives.
Showing it opens one part at a time."""

from __future__ import annotations

import base64
import binascii
import uuid

from common.contracts import registration as api
from common.db import Connection
from common.errors import Conflict, InvalidRequest, NotFound
from common.tokens import Caller

from . import trail
from .access import opaque_id, staff_account
from .deps import Deps
from .validation import VALIDATOR_ROLES


def bound(request_id: uuid.UUID) -> str:
    """A copy kept whole (before copies were kept part by part)."""
    return f"id-copy:{request_id}"


def part_bound(request_id: uuid.UUID, upload: uuid.UUID, seq: int) -> str:
    return f"id-copy:{request_id}:{upload}:{seq}"


def _part_data(msg: api.IdCopyPart | api.ApplicantCopyPart) -> bytes:
    try:
        data = base64.b64decode(msg.data_b64, validate=True)
    except binascii.Error:
        raise InvalidRequest("the part is not base64") from None
    if len(data) > api.ID_COPY_PART_BYTES or (not msg.last and len(data) != api.ID_COPY_PART_BYTES):
        raise InvalidRequest("every part but the last has exactly 512 KB")
    return data


async def _wait(
    conn: Connection, request_id: uuid.UUID, upload: uuid.UUID, seq: int, data: bytes, sealed: bytes
) -> None:
    """A part waits, sealed, for the last one (sent again, it replaces itself)."""
    await conn.execute(
        "INSERT INTO id_copy_parts (upload_id, request_id, seq, data, size) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (upload_id, seq) DO UPDATE SET data = excluded.data, size = excluded.size",
        upload,
        request_id,
        seq,
        sealed,
        len(data),
    )


async def receive_part(msg: api.IdCopyPart, caller: Caller, deps: Deps) -> api.IdCopyReceived:
    request_id, upload = opaque_id(msg.id), opaque_id(msg.upload)
    data = _part_data(msg)
    sealed = deps.sealer.seal(data, part_bound(request_id, upload, msg.seq))
    async with deps.outbox.transaction() as conn:
        account = await staff_account(conn, deps, caller, VALIDATOR_ROLES)
        state = await conn.fetchval("SELECT state FROM registration_requests WHERE id = $1 FOR UPDATE", request_id)
        if state is None:
            raise NotFound()
        if state != "submitted":
            raise Conflict("the request is no longer waiting for its identity check")
        await _wait(conn, request_id, upload, msg.seq, data, sealed)
        if not msg.last:
            return api.IdCopyReceived(stored=False)
        await _keep(conn, deps, request_id, upload, from_applicant=False)
        await trail.record(conn, "registration.id_copy_stored", by=account, entity=trail.registration(str(request_id)))
    return api.IdCopyReceived(stored=True)


async def receive_applicant_part(msg: api.ApplicantCopyPart, deps: Deps) -> api.IdCopyReceived:
    """A part of the copy the applicant sends with the form, with the ticket its answer held: good
    for one copy of that request while it waits, within the hour. A ticket good for nothing (a
    known number's, a spent or an old one) gets the same answers, and nothing is kept."""
    ticket = opaque_id(msg.ticket)
    data = _part_data(msg)
    async with deps.outbox.transaction() as conn:
        request_id = await conn.fetchval(
            "SELECT id FROM registration_requests WHERE applicant_copy_ticket = $1 AND state = 'submitted' "
            "AND submitted_at > now() - interval '1 hour' FOR UPDATE",
            ticket,
        )
        if request_id is None:
            return api.IdCopyReceived(stored=msg.last)
        await _wait(
            conn, request_id, ticket, msg.seq, data, deps.sealer.seal(data, part_bound(request_id, ticket, msg.seq))
        )
        if not msg.last:
            return api.IdCopyReceived(stored=False)
        await _keep(conn, deps, request_id, ticket, from_applicant=True)
        await conn.execute("UPDATE registration_requests SET applicant_copy_ticket = NULL WHERE id = $1", request_id)
        await trail.record(
            conn,
            "registration.id_copy_stored",
            by=None,
            entity=trail.registration(str(request_id)),
            detail="sent by the applicant with the form",
        )
    return api.IdCopyReceived(stored=True)


async def _keep(
    conn: Connection, deps: Deps, request_id: uuid.UUID, upload: uuid.UUID, *, from_applicant: bool
) -> None:
    """The last part arrived: check the whole (parts, size, kind), then keep it in place of any
    earlier copy; the waiting parts go, and those of uploads abandoned an hour ago."""
    parts = await conn.fetch(
        "SELECT seq, size FROM id_copy_parts WHERE upload_id = $1 AND request_id = $2 ORDER BY seq", upload, request_id
    )
    first = await conn.fetchval(
        "SELECT data FROM id_copy_parts WHERE upload_id = $1 AND request_id = $2 AND seq = 0", upload, request_id
    )
    if [part["seq"] for part in parts] != list(range(len(parts))) or first is None:
        raise InvalidRequest("parts are missing")
    size = sum(part["size"] for part in parts)
    if size > api.ID_COPY_MAX_BYTES:
        raise InvalidRequest("the copy is larger than 5 MB")
    kind = api.id_copy_media_type(deps.sealer.open(bytes(first), part_bound(request_id, upload, 0)))
    if kind is None:
        raise InvalidRequest("the copy is not a PDF, JPEG or PNG file")
    await conn.execute("DELETE FROM id_copy_kept WHERE request_id = $1", request_id)
    await conn.execute(
        "INSERT INTO id_copy_kept (request_id, upload_id, seq, sealed) "
        "SELECT request_id, upload_id, seq, data FROM id_copy_parts WHERE upload_id = $1 AND request_id = $2",
        upload,
        request_id,
    )
    await conn.execute(
        "DELETE FROM id_copy_parts WHERE upload_id = $1 OR received_at < now() - interval '1 hour'", upload
    )
    await conn.execute(
        "UPDATE registration_requests SET id_copy = NULL, id_copy_upload = $2, id_copy_media_type = $3, "
        "id_copy_size = $4, id_copy_uploaded_at = now(), id_copy_from_applicant = $5 WHERE id = $1",
        request_id,
        upload,
        kind,
        size,
        from_applicant,
    )


async def read(msg: api.IdCopyRead, caller: Caller, deps: Deps) -> api.IdCopyChunk:
    """A part of the kept copy, for validators and administrators; each read is audited once, at its start."""
    request_id = opaque_id(msg.id)
    seq, within = divmod(msg.offset, api.ID_COPY_PART_BYTES)
    async with deps.outbox.connection() as conn:
        account = await staff_account(conn, deps, caller, VALIDATOR_ROLES)
        row = await conn.fetchrow(
            "SELECT r.id_copy, r.id_copy_upload, r.id_copy_media_type, r.id_copy_size, k.sealed "
            "FROM registration_requests r LEFT JOIN id_copy_kept k ON k.request_id = r.id AND k.seq = $2 "
            "WHERE r.id = $1 AND r.id_copy_uploaded_at IS NOT NULL",
            request_id,
            seq,
        )
        if row is None or (row["id_copy"] is None and row["sealed"] is None):
            raise NotFound()
        if msg.offset == 0:
            await trail.record(
                conn, "registration.id_copy_viewed", by=account, entity=trail.registration(str(request_id))
            )
    if row["id_copy"] is not None:  # kept whole, before copies were kept part by part
        data = deps.sealer.open(bytes(row["id_copy"]), bound(request_id))[
            msg.offset : msg.offset + api.ID_COPY_PART_BYTES
        ]
    else:
        data = deps.sealer.open(bytes(row["sealed"]), part_bound(request_id, row["id_copy_upload"], seq))[within:]
    return api.IdCopyChunk(
        media_type=row["id_copy_media_type"],
        size=row["id_copy_size"],
        data_b64=base64.b64encode(data).decode(),
        last=msg.offset + len(data) >= row["id_copy_size"],
    )
