"""The files of requests and of their threads (F3), both ways, kept sealed (common/sealed).

From a browser a file arrives part by part through the gateway, each part one sealed chunk, so no
process ever holds a whole file; it is recognised by its first bytes (PDF, JPEG or PNG, whatever
its name says), refused past 20 MiB, and belongs to its sender alone until a draft, a reply or an
answer takes it (at most 10 a message). From the hospital a file comes inline or from the Object
Store, through the same pipeline as documents' contents. To the hospital a file goes inline up to
512 KiB, else into `portal-attachments` (CONTRACT.md 1.1), when its message is sent.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import io
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import asyncpg
from nats.js import JetStreamContext

from common.contracts import audit
from common.contracts import request_attachments as files
from common.contracts import requests as api
from common.contracts.documents import ContentChunk
from common.db import Connection
from common.errors import InvalidRequest, NotFound
from common.sealed import CHUNK_SIZE
from common.sealed.checks import SIGNATURES, ContentRules, InvalidContent
from common.sealed.chunks import store_sealed, whole
from common.sealed.keys import ChunkCipher, MasterKeys
from common.sealed.objects import object_pieces
from common.sealed.tables import SealedTables
from common.tokens import Caller

from .directory import Deps
from .trail import audited

RULES = ContentRules(media_types=frozenset(SIGNATURES), max_size=files.ATTACHMENT_MAX)
TABLES = SealedTables(keys="attachments", chunks="attachment_chunks", id_column="attachment_id")
HOSPITAL_BUCKET = "dpi-documents"
VERSION = 1  # an attachment is never replaced: one version of it
STAGED_FOR = "1 day"
"""An upload no message took goes after this long (an abandoned form, a closed tab)."""
SUMMARY = "attachment_id::text AS id, file_name, media_type, size"

assert api.UPLOAD_PART_BYTES == CHUNK_SIZE, "a part from the gateway is one sealed chunk"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# Refusals the gateway puts beside the file field, by their first words.
NOT_A_FILE_TYPE, TOO_LARGE = api.FILE_NOT_A_DOCUMENT, api.FILE_TOO_LARGE
TOO_MANY = f"attachments: at most {api.MAX_ATTACHMENTS} files a message"
NOT_YOURS = "attachments: not a complete upload of yours"


def _sender(caller: Caller) -> uuid.UUID:
    """Physicians and the services' members send files; anyone else has none (not found)."""
    if caller.role not in ("physician", "service_staff"):
        raise NotFound()
    return uuid.UUID(caller.account_id)


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound() from None


def _cipher(keys: MasterKeys, attachment_id: uuid.UUID, key_id: str, wrapped: bytes) -> ChunkCipher:
    return ChunkCipher(keys.unwrap(key_id, wrapped), attachment_id, VERSION)


async def receive_part(msg: api.UploadPart, caller: Caller, deps: Deps) -> api.Uploaded:
    """One part of a file, sealed as it arrives; the file is checked by its first bytes at the
    first part, by its size at each, and its digest is taken at the last."""
    sender, upload = _sender(caller), _uuid(msg.upload)
    try:
        data = base64.b64decode(msg.data_b64, validate=True)
    except binascii.Error:
        raise InvalidRequest("data_b64: not base64") from None
    if len(data) > api.UPLOAD_PART_BYTES or (not msg.last and len(data) != api.UPLOAD_PART_BYTES) or not data:
        raise InvalidRequest("data_b64: every part but the last has exactly 256 KiB, none is empty")
    if _CONTROL.search(msg.file_name) or msg.file_name.strip() != msg.file_name:
        raise InvalidRequest("file_name: control characters or blanks around it")
    async with deps.pool.acquire() as conn:
        async with conn.transaction():
            row = await (
                _first_part(conn, deps, msg, sender, upload, data) if msg.seq == 0 else _held(conn, msg, sender, upload)
            )
            size = row["size"] + len(data)
            if size <= RULES.max_size:
                cipher = _cipher(deps.master_keys, upload, row["key_id"], bytes(row["wrapped_key"]))
                await TABLES.write_chunk(conn, cipher, msg.seq, data, msg.last)
                digest = await _digest(conn, cipher, msg.seq + 1) if msg.last else None
                await conn.execute(
                    "UPDATE attachments SET parts = $2, size = $3, complete = $4, sha256 = $5 WHERE attachment_id = $1",
                    upload,
                    msg.seq + 1,
                    size,
                    msg.last,
                    digest,
                )
                return api.Uploaded(id=str(upload), complete=msg.last, size=size, media_type=row["media_type"])
        # Past the limit: the parts already kept go too.
        await conn.execute("DELETE FROM attachments WHERE attachment_id = $1 AND owner = $2", upload, sender)
    raise InvalidRequest(TOO_LARGE)


async def _first_part(
    conn: Connection, deps: Deps, msg: api.UploadPart, sender: uuid.UUID, upload: uuid.UUID, data: bytes
) -> asyncpg.Record:
    """The file's row, with a data key of its own; the type told by its first bytes."""
    try:
        media_type = RULES.check_start(data[: RULES.head_size], None)
    except InvalidContent:
        raise InvalidRequest(NOT_A_FILE_TYPE) from None
    await conn.execute(  # uploads abandoned a day ago, a few at a time
        "DELETE FROM attachments WHERE attachment_id IN (SELECT attachment_id FROM attachments "
        f"WHERE request_id IS NULL AND created_at < now() - interval '{STAGED_FOR}' LIMIT 20)"
    )
    _, key_id, wrapped = deps.master_keys.new_data_key()
    row = await conn.fetchrow(
        "INSERT INTO attachments (attachment_id, key_id, wrapped_key, owner, file_name, media_type) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING size, key_id, wrapped_key, media_type",
        upload,
        key_id,
        wrapped,
        sender,
        msg.file_name,
        media_type,
    )
    if row is None:
        raise InvalidRequest("upload: already started")
    return row


async def _held(conn: Connection, msg: api.UploadPart, sender: uuid.UUID, upload: uuid.UUID) -> asyncpg.Record:
    """The sender's unfinished upload, held until this part is in; parts come in order."""
    row = await conn.fetchrow(
        "SELECT size, key_id, wrapped_key, media_type, parts FROM attachments "
        "WHERE attachment_id = $1 AND owner = $2 AND request_id IS NULL AND NOT complete FOR UPDATE",
        upload,
        sender,
    )
    if row is None:
        raise NotFound()
    if row["parts"] != msg.seq:
        raise InvalidRequest("seq: parts come in order, once each")
    return row


async def _digest(conn: Connection, cipher: ChunkCipher, chunks: int) -> str:
    """The SHA-256 of the whole file, read back a chunk at a time (the parts may have come
    through several copies of the service)."""
    digest = hashlib.sha256()
    async for piece in _pieces(conn, cipher, chunks):
        digest.update(piece)
    return digest.hexdigest()


async def _pieces(conn: Connection, cipher: ChunkCipher, chunks: int) -> AsyncIterator[bytes]:
    for seq in range(chunks):
        yield await TABLES.read_chunk(conn, cipher, seq, seq == chunks - 1)


async def set_draft_files(conn: Connection, caller: Caller, request_id: uuid.UUID, ids: Sequence[str]) -> None:
    """The draft's files become exactly `ids`: those no longer listed go, new uploads are taken."""
    keys = checked_keys(ids)
    await conn.execute(
        "DELETE FROM attachments WHERE request_id = $1 AND message_id IS NULL AND NOT attachment_id = ANY($2)",
        request_id,
        keys,
    )
    await take(conn, caller, keys, request_id, None)


async def take(
    conn: Connection, caller: Caller, keys: Sequence[uuid.UUID], request_id: uuid.UUID, message_id: uuid.UUID | None
) -> None:
    """The caller's complete uploads go with the request (its form) or with one of its messages."""
    taken = await conn.fetchval(
        "WITH taken AS (UPDATE attachments SET request_id = $3, message_id = $4 WHERE attachment_id = ANY($1) "
        "AND owner = $2 AND complete AND (request_id IS NULL OR (request_id = $3 AND message_id IS NOT DISTINCT "
        "FROM $4)) RETURNING 1) SELECT count(*) FROM taken",
        list(keys),
        _sender(caller),
        request_id,
        message_id,
    )
    if taken != len(keys):
        raise InvalidRequest(NOT_YOURS)


def checked_keys(ids: Sequence[str]) -> list[uuid.UUID]:
    """The files a message names, checked as a list (each is checked again when taken)."""
    try:
        keys = [uuid.UUID(value) for value in ids]
    except ValueError:
        raise InvalidRequest(NOT_YOURS) from None
    if len(set(keys)) != len(keys):
        raise InvalidRequest("attachments: a file listed twice")
    if len(keys) > api.MAX_ATTACHMENTS:
        raise InvalidRequest(TOO_MANY)
    return keys


async def listed(conn: Connection, request_id: uuid.UUID) -> dict[uuid.UUID | None, list[api.AttachmentSummary]]:
    """A request's files: its form's (key None) and each message's."""
    rows = await conn.fetch(
        f"SELECT message_id, {SUMMARY} FROM attachments WHERE request_id = $1 AND complete ORDER BY created_at",
        request_id,
    )
    found: dict[uuid.UUID | None, list[api.AttachmentSummary]] = {}
    for row in rows:
        found.setdefault(row["message_id"], []).append(
            api.AttachmentSummary(**{name: row[name] for name in api.AttachmentSummary.model_fields})
        )
    return found


async def for_the_hospital(
    conn: Connection, deps: Deps, request_id: uuid.UUID, message_id: uuid.UUID | None
) -> list[files.InlineAttachment | files.StoredAttachment]:
    """The files of the request's form (or of one message) as the contract sends them: inline up to
    512 KiB, else put (again, if need be: the name is the file's id) in `portal-attachments`."""
    rows = await conn.fetch(
        "SELECT attachment_id, file_name, media_type, size, sha256, parts, key_id, wrapped_key FROM attachments "
        "WHERE request_id = $1 AND message_id IS NOT DISTINCT FROM $2 AND complete ORDER BY created_at",
        request_id,
        message_id,
    )
    sent: list[files.InlineAttachment | files.StoredAttachment] = []
    for row in rows:
        cipher = _cipher(deps.master_keys, row["attachment_id"], row["key_id"], bytes(row["wrapped_key"]))
        facts = {
            "id": str(row["attachment_id"]),
            "file_name": row["file_name"],
            "media_type": row["media_type"],
            "size": row["size"],
            "sha256": row["sha256"],
        }
        if row["size"] <= files.INLINE_ATTACHMENT_MAX:
            data = b"".join([piece async for piece in _pieces(conn, cipher, row["parts"])])
            sent.append(files.InlineAttachment(**facts, data_b64=base64.b64encode(data).decode()))
        else:
            await _put_object(deps.js, str(row["attachment_id"]), _pieces(conn, cipher, row["parts"]))
            sent.append(files.StoredAttachment(**facts, object=str(row["attachment_id"])))
    return sent


async def _put_object(js: JetStreamContext, name: str, pieces: AsyncIterator[bytes]) -> None:
    """Put the file in `portal-attachments`, a chunk at a time (nats-py reads a file-like object in
    a worker thread; each read waits for the next chunk, read and opened on the event loop)."""
    store = await js.object_store(files.ATTACHMENTS_BUCKET)
    reader = _PiecesReader(asyncio.get_running_loop(), pieces.__anext__)
    await store.put(name, reader)  # type: ignore[arg-type]  # nats-py reads any object with readinto


class _PiecesReader(io.RawIOBase):
    """A blocking reader (for a worker thread) over pieces produced on the event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, next_piece: Callable[[], Awaitable[bytes]]) -> None:
        super().__init__()
        self._loop, self._next, self._held, self._done = loop, next_piece, b"", False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if not self._held and not self._done:
            try:
                self._held = asyncio.run_coroutine_threadsafe(self._next(), self._loop).result()  # type: ignore[arg-type]
            except StopAsyncIteration:
                self._done = True
        count = min(len(buffer), len(self._held))
        buffer[:count] = self._held[:count]
        self._held = self._held[count:]
        return count


async def from_the_hospital(
    conn: Connection,
    deps: Deps,
    request_id: uuid.UUID,
    message_id: uuid.UUID,
    attachments: Sequence[files.InlineAttachment | files.StoredAttachment],
) -> None:
    """Keep the files of a hospital's answer sealed, checked against what it announced (type by
    the first bytes, size, SHA-256); InvalidContent names the first that fails."""
    for index, attachment in enumerate(attachments):
        attachment_id = uuid.uuid4()
        _, key_id, wrapped = deps.master_keys.new_data_key()
        await conn.execute(
            "INSERT INTO attachments (attachment_id, key_id, wrapped_key, request_id, message_id, file_name, "
            "media_type, size, complete) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, false)",
            attachment_id,
            key_id,
            wrapped,
            request_id,
            message_id,
            attachment.file_name,
            attachment.media_type,
            attachment.size,
        )
        try:
            pieces = _hospital_pieces(deps.js, attachment)
            cipher = _cipher(deps.master_keys, attachment_id, key_id, wrapped)
            stored = await store_sealed(
                conn, TABLES, cipher, pieces, RULES, media_type=attachment.media_type, sha256=attachment.sha256
            )
        except InvalidContent as bad:
            raise InvalidContent(f"attachments[{index}]: {bad}") from None
        if stored.size != attachment.size:
            raise InvalidContent(f"attachments[{index}]: size does not match the content")
        await conn.execute(
            "UPDATE attachments SET parts = $2, sha256 = $3, complete = true WHERE attachment_id = $1",
            attachment_id,
            stored.chunks,
            stored.sha256,
        )


def _hospital_pieces(
    js: JetStreamContext, attachment: files.InlineAttachment | files.StoredAttachment
) -> AsyncIterator[bytes]:
    if isinstance(attachment, files.StoredAttachment):
        return object_pieces(js, HOSPITAL_BUCKET, attachment.object, RULES)
    try:
        data = base64.b64decode(attachment.data_b64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidContent("data_b64 is not valid base64") from None
    return whole(data)


async def read(msg: api.AttachmentRead, caller: Caller, deps: Deps) -> ContentChunk:
    """A chunk of a file of a request the caller may see: their own (a physician), or one sent to
    a service they work (a member). The first chunk's reading is audited."""
    request_id, attachment_id = _uuid(msg.request_id), _uuid(msg.id)
    async with deps.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT a.file_name, a.media_type, a.size, a.parts, a.key_id, a.wrapped_key FROM attachments a "
            "JOIN requests r ON r.id = a.request_id WHERE a.attachment_id = $1 AND a.request_id = $2 AND a.complete "
            "AND CASE WHEN $4 = 'physician' THEN r.account_id = $3 "
            "ELSE r.status <> 'draft' AND r.service IN (SELECT service FROM service_members WHERE account_id = $3) END",
            attachment_id,
            request_id,
            _sender(caller),
            caller.role,
        )
        if row is None or msg.offset >= row["size"]:
            raise NotFound()
        seq, within = divmod(msg.offset, CHUNK_SIZE)
        cipher = _cipher(deps.master_keys, attachment_id, row["key_id"], bytes(row["wrapped_key"]))
        data = (await TABLES.read_chunk(conn, cipher, seq, seq == row["parts"] - 1))[within:]
    if msg.offset == 0:
        async with deps.outbox.transaction() as conn:
            entity = audit.Entity(kind="request", id=str(request_id))
            await audited(conn, caller, "request.attachment_opened", entity, str(attachment_id))
    return ContentChunk(
        media_type=row["media_type"],
        filename=row["file_name"],
        size=row["size"],
        offset=msg.offset,
        data_b64=base64.b64encode(data).decode(),
        last=msg.offset + len(data) >= row["size"],
    )
