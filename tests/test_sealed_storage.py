"""Sealed storage shared by documents and request attachments: keys, chunks bound to their place,
rotation, and the content checks each owner configures."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from cryptography.exceptions import InvalidTag

from common.sealed import CHUNK_SIZE
from common.sealed.checks import MIB, ContentRules, InvalidContent
from common.sealed.chunks import StoredContent, store_sealed, whole
from common.sealed.keys import ChunkCipher, MasterKeys, UnknownMasterKey
from common.sealed.rotation import rewrap_data_keys
from common.sealed.tables import SealedTables
from deploy.database import with_database
from deploy.stack import Stack
from services.documents.contents import RULES as DOCUMENT_RULES

# What request attachments will accept (a browser's upload, recognised by its content).
ATTACHMENT_RULES = ContentRules(frozenset({"application/pdf", "image/jpeg", "image/png"}), max_size=20 * MIB)
TABLES = SealedTables(keys="attachments", chunks="attachment_chunks", id_column="attachment_id")
PNG = b"\x89PNG\r\n\x1a\n"


def _keys(**keys: bytes) -> MasterKeys:
    return MasterKeys(dict(keys), active_id=list(keys)[-1])


class _ChunkTable:
    """A chunk table in memory, answering the two statements SealedTables sends about chunks."""

    def __init__(self) -> None:
        self.rows: dict[tuple[object, int, int], bytes] = {}

    async def execute(self, query: str, *args: object) -> None:
        assert query.startswith("INSERT INTO attachment_chunks (attachment_id, version, seq, data)")
        object_id, version, seq, data = args
        self.rows[(object_id, version, seq)] = data

    async def fetchval(self, query: str, *args: object) -> bytes | None:
        assert query.startswith("SELECT data FROM attachment_chunks WHERE attachment_id = $1")
        return self.rows.get(args)


async def _pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def _store(table: _ChunkTable, cipher: ChunkCipher, data: bytes, **checks: str | None) -> StoredContent:
    checks = {"media_type": "application/pdf", "sha256": hashlib.sha256(data).hexdigest()} | checks
    return await store_sealed(table, TABLES, cipher, _pieces(data, 100_000), ATTACHMENT_RULES, **checks)


async def _read(table: _ChunkTable, cipher: ChunkCipher, chunks: int) -> bytes:
    return b"".join([await TABLES.read_chunk(table, cipher, seq, seq == chunks - 1) for seq in range(chunks)])


@pytest.mark.unit
async def test_content_is_cut_into_sealed_chunks_and_reads_back_byte_for_byte() -> None:
    table, data = _ChunkTable(), b"%PDF-1.7\n" + os.urandom(2 * CHUNK_SIZE + 123)
    cipher = ChunkCipher(os.urandom(32), uuid.uuid4(), 1)
    stored = await _store(table, cipher, data)
    assert stored == StoredContent(len(data), 3, hashlib.sha256(data).hexdigest(), "application/pdf")
    assert all(data[:64] not in sealed for sealed in table.rows.values())
    assert await _read(table, cipher, stored.chunks) == data


@pytest.mark.unit
async def test_a_chunk_moved_to_another_object_version_or_position_does_not_open() -> None:
    data_key, object_id = os.urandom(32), uuid.uuid4()
    sealed = ChunkCipher(data_key, object_id, 2).seal(1, b"page two", last=False)
    assert ChunkCipher(data_key, object_id, 2).open(1, sealed, last=False) == b"page two"
    # the same data key, so only the chunk's binding to its place can refuse it
    for elsewhere, seq, last in [
        (ChunkCipher(data_key, uuid.uuid4(), 2), 1, False),  # another object
        (ChunkCipher(data_key, object_id, 1), 1, False),  # another version
        (ChunkCipher(data_key, object_id, 2), 0, False),  # another position
        (ChunkCipher(data_key, object_id, 2), 1, True),  # made the last one: the content cut off
    ]:
        with pytest.raises(InvalidTag):
            elsewhere.open(seq, sealed, last)


@pytest.mark.unit
async def test_chunks_swapped_in_the_table_do_not_open() -> None:
    table, data = _ChunkTable(), b"%PDF-1.7\n" + os.urandom(CHUNK_SIZE + 10)
    cipher = ChunkCipher(os.urandom(32), "doc-1", 1)
    stored = await _store(table, cipher, data)
    rows = table.rows
    rows[("doc-1", 1, 0)], rows[("doc-1", 1, 1)] = rows[("doc-1", 1, 1)], rows[("doc-1", 1, 0)]
    with pytest.raises(InvalidTag):
        await _read(table, cipher, stored.chunks)


@pytest.mark.unit
def test_a_data_key_does_not_unwrap_with_another_master_key() -> None:
    keys = _keys(k1=os.urandom(32))
    data_key, key_id, wrapped = keys.new_data_key()
    assert (key_id, keys.unwrap(key_id, wrapped)) == ("k1", data_key)
    with pytest.raises(UnknownMasterKey):
        _keys(k1=os.urandom(32)).unwrap("k1", wrapped)  # same id, other key
    with pytest.raises(UnknownMasterKey):
        _keys(k2=os.urandom(32)).unwrap("k1", wrapped)  # the key is no longer configured


@pytest.mark.unit
async def test_rotation_rewraps_the_data_key_and_the_content_still_reads_with_the_new_key_alone() -> None:
    old, new = os.urandom(32), os.urandom(32)
    data_key, key_id, wrapped = _keys(k1=old).new_data_key()
    table, data = _ChunkTable(), b"%PDF-1.7\n" + os.urandom(CHUNK_SIZE)
    stored = await _store(table, ChunkCipher(data_key, "doc", 1), data)

    key_id, rewrapped = _keys(k1=old, k2=new).rewrap(key_id, wrapped)

    assert key_id == "k2" and rewrapped != wrapped
    only_new = _keys(k2=new)
    assert await _read(table, ChunkCipher(only_new.unwrap(key_id, rewrapped), "doc", 1), stored.chunks) == data


@pytest.mark.unit
async def test_a_fake_pdf_is_refused_for_its_first_bytes() -> None:
    cipher = ChunkCipher(os.urandom(32), "doc", 1)
    for fake in [b"<html><script>alert(1)</script>", PNG + os.urandom(100), b"%PD"]:
        with pytest.raises(InvalidContent, match=r"^the content is not a application/pdf file$"):
            await _store(_ChunkTable(), cipher, fake)
    with pytest.raises(InvalidContent, match=r"^media type 'text/html' is not accepted$"):
        await _store(_ChunkTable(), cipher, b"<html>", media_type="text/html")
    with pytest.raises(InvalidContent, match=r"^media type 'image/png' is not accepted$"):
        DOCUMENT_RULES.check_start(PNG, "image/png")  # documents: PDF only


@pytest.mark.unit
async def test_a_content_too_large_is_refused_without_reading_it_all() -> None:
    read = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal read
        yield b"%PDF-1.7\n"
        while True:
            read += MIB
            yield bytes(MIB)

    with pytest.raises(InvalidContent, match=r"^content larger than 20 MiB$"):
        await store_sealed(
            _ChunkTable(),
            TABLES,
            ChunkCipher(os.urandom(32), "doc", 1),
            endless(),
            ATTACHMENT_RULES,
            media_type=None,
            sha256=None,
        )
    assert read == 20 * MIB
    with pytest.raises(InvalidContent, match=r"^content larger than 50 MiB$"):
        DOCUMENT_RULES.check_size(50 * MIB + 1)
    DOCUMENT_RULES.check_size(50 * MIB)


@pytest.mark.unit
async def test_an_empty_content_is_refused_as_no_file_of_its_type() -> None:
    table = _ChunkTable()
    with pytest.raises(InvalidContent, match=r"^the content is not a application/pdf file$"):
        await _store(table, ChunkCipher(os.urandom(32), "doc", 1), b"")
    with pytest.raises(InvalidContent, match=r"^the content is none of application/pdf, image/jpeg, image/png$"):
        await _store(table, ChunkCipher(os.urandom(32), "doc", 2), b"", media_type=None)
    # what was written (one empty last chunk) is the caller's to roll back; it opens as nothing
    cipher = ChunkCipher(os.urandom(32), "doc", 3)
    assert cipher.open(0, cipher.seal(0, b"", last=True), last=True) == b""


@pytest.mark.unit
async def test_an_upload_is_recognised_by_its_content_not_its_name() -> None:
    cipher = ChunkCipher(os.urandom(32), "upload", 1)
    for data, media_type in [
        (PNG + os.urandom(500), "image/png"),
        (b"\xff\xd8\xff\xe0" + os.urandom(500), "image/jpeg"),
    ]:
        stored = await _store(_ChunkTable(), cipher, data, media_type=None, sha256=None)
        assert (stored.media_type, stored.sha256) == (media_type, hashlib.sha256(data).hexdigest())
    with pytest.raises(InvalidContent, match="is none of"):
        await _store(_ChunkTable(), cipher, b"GIF89a" + os.urandom(500), media_type=None)


@pytest.mark.unit
async def test_a_content_not_matching_its_announced_sha256_is_refused() -> None:
    with pytest.raises(InvalidContent, match=r"^sha256 does not match the content$"):
        await _store(_ChunkTable(), ChunkCipher(os.urandom(32), "d", 1), b"%PDF-1.7", sha256="0" * 64)


@pytest.mark.unit
def test_owners_name_their_tables_and_media_types_plainly() -> None:
    with pytest.raises(ValueError, match="identifier"):
        SealedTables(keys="attachments", chunks="chunks; DROP TABLE attachments", id_column="attachment_id")
    with pytest.raises(ValueError, match="media types"):
        ContentRules(frozenset({"text/html"}), max_size=MIB)


async def test_another_owner_keeps_its_sealed_objects_in_its_own_tables_and_rotates_them(stack: Stack) -> None:
    """As the requests service will for attachments: uuid ids, its own tables, its own rotation."""
    schema = f"sealed_test_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(with_database(stack.admin_database_url, stack.config.database))
    await admin.execute(
        f"CREATE SCHEMA {schema}; SET search_path = {schema}; "
        "CREATE TABLE attachments (attachment_id uuid, version integer, key_id text NOT NULL, "
        "wrapped_key bytea NOT NULL, chunks integer, PRIMARY KEY (attachment_id, version)); "
        "CREATE TABLE attachment_chunks (attachment_id uuid, version integer, seq integer, data bytea NOT NULL, "
        "PRIMARY KEY (attachment_id, version, seq), FOREIGN KEY (attachment_id, version) REFERENCES attachments)"
    )
    pool = await asyncpg.create_pool(
        with_database(stack.admin_database_url, stack.config.database),
        min_size=1,
        max_size=2,
        server_settings={"search_path": schema},
    )
    try:
        old, new = base64.b64encode(os.urandom(32)).decode(), base64.b64encode(os.urandom(32)).decode()
        keys = MasterKeys.parse(f"k1:{old}", "k1")
        contents = {uuid.uuid4(): PNG + os.urandom(size) for size in (10, CHUNK_SIZE * 2)}
        for attachment_id, data in contents.items():
            data_key, key_id, wrapped = keys.new_data_key()
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute("INSERT INTO attachments VALUES ($1, 1, $2, $3, 0)", attachment_id, key_id, wrapped)
                cipher = ChunkCipher(data_key, attachment_id, 1)
                stored = await store_sealed(
                    conn, TABLES, cipher, whole(data), ATTACHMENT_RULES, media_type=None, sha256=None
                )
                await conn.execute(
                    "UPDATE attachments SET chunks = $2 WHERE attachment_id = $1", attachment_id, stored.chunks
                )

        rotated = MasterKeys.parse(f"k1:{old},k2:{new}", "k2")
        assert await rewrap_data_keys(pool, TABLES, rotated, batch=1) == 2
        assert await rewrap_data_keys(pool, TABLES, rotated) == 0

        only_new = MasterKeys.parse(f"k2:{new}", "k2")
        async with pool.acquire() as conn:
            for attachment_id, data in contents.items():
                row = await conn.fetchrow("SELECT * FROM attachments WHERE attachment_id = $1", attachment_id)
                assert row is not None and row["key_id"] == "k2"
                cipher = ChunkCipher(only_new.unwrap("k2", row["wrapped_key"]), attachment_id, 1)
                read = [
                    await TABLES.read_chunk(conn, cipher, seq, seq == row["chunks"] - 1) for seq in range(row["chunks"])
                ]
                assert b"".join(read) == data
            # a chunk moved to another position in the table no longer opens
            large = list(contents)[-1]
            await conn.execute("UPDATE attachment_chunks SET seq = 9 WHERE attachment_id = $1 AND seq = 0", large)
            await conn.execute("UPDATE attachment_chunks SET seq = 0 WHERE attachment_id = $1 AND seq = 1", large)
            row = await conn.fetchrow("SELECT wrapped_key FROM attachments WHERE attachment_id = $1", large)
            assert row is not None
            with pytest.raises(InvalidTag):
                await TABLES.read_chunk(
                    conn, ChunkCipher(only_new.unwrap("k2", row["wrapped_key"]), large, 1), 0, False
                )
    finally:
        await pool.close()
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()
