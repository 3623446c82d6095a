"""The tables an owning service keeps its sealed objects in, in its own schema, and their statements.

Each service owns its tables (one schema and role per service); the requests service will create
tables of the same shape for its attachments in its own migration. Their names come from the
owner's code, never from input, and are checked all the same since they go into SQL text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from common.db import Connection

from .keys import ChunkCipher, ObjectId

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@dataclass(frozen=True)
class WrappedKey:
    """A data key as stored: wrapped by master key `key_id`."""

    object_id: ObjectId
    version: int
    key_id: str
    wrapped_key: bytes


@dataclass(frozen=True)
class SealedTables:
    """`keys`: a row per object version with (<id_column>, version, key_id, wrapped_key), primary key
    (<id_column>, version); `chunks`: (<id_column>, version, seq, data), primary key (<id_column>,
    version, seq), `data` being nonce || ciphertext || tag."""

    keys: str
    chunks: str
    id_column: str

    def __post_init__(self) -> None:
        for name in (self.keys, self.chunks, self.id_column):
            if not _IDENTIFIER.fullmatch(name):
                raise ValueError(f"{name!r} is not a plain lower-case SQL identifier")

    @cached_property
    def _insert_chunk(self) -> str:
        return f"INSERT INTO {self.chunks} ({self.id_column}, version, seq, data) VALUES ($1, $2, $3, $4)"

    @cached_property
    def _select_chunk(self) -> str:
        return f"SELECT data FROM {self.chunks} WHERE {self.id_column} = $1 AND version = $2 AND seq = $3"

    @cached_property
    def _select_keys_to_rewrap(self) -> str:
        return (
            f"SELECT {self.id_column}, version, key_id, wrapped_key FROM {self.keys} WHERE key_id <> $1 "
            "LIMIT $2 FOR UPDATE"
        )

    @cached_property
    def _update_key(self) -> str:
        return f"UPDATE {self.keys} SET key_id = $3, wrapped_key = $4 WHERE {self.id_column} = $1 AND version = $2"

    async def write_chunk(self, conn: Connection, cipher: ChunkCipher, seq: int, plaintext: bytes, last: bool) -> None:
        await conn.execute(self._insert_chunk, cipher.object_id, cipher.version, seq, cipher.seal(seq, plaintext, last))

    async def read_chunk(self, conn: Connection, cipher: ChunkCipher, seq: int, last: bool) -> bytes:
        """Chunk `seq` of the cipher's object, decrypted; InvalidTag if it is not the one sealed there."""
        sealed = await conn.fetchval(self._select_chunk, cipher.object_id, cipher.version, seq)
        if sealed is None:
            raise LookupError("a chunk that must exist is missing")
        return cipher.open(seq, bytes(sealed), last)

    async def keys_not_wrapped_by(self, conn: Connection, key_id: str, limit: int) -> list[WrappedKey]:
        """Data keys wrapped by another master key than `key_id`, locked until the transaction ends."""
        rows = await conn.fetch(self._select_keys_to_rewrap, key_id, limit)
        return [
            WrappedKey(row[self.id_column], row["version"], row["key_id"], bytes(row["wrapped_key"])) for row in rows
        ]

    async def update_key(self, conn: Connection, key: WrappedKey) -> None:
        await conn.execute(self._update_key, key.object_id, key.version, key.key_id, key.wrapped_key)
