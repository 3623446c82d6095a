"""Master keys, the data keys they wrap (RFC 3394), and the cipher of one object's chunks (AES-256-GCM).

The database holds only ciphertexts and wrapped keys; the master keys come from configuration.
Rotating the master key re-wraps the data keys and never touches the contents.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeAlias

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from common.settings import SettingsError, base64_key, env_str

NONCE_SIZE = 12

ObjectId: TypeAlias = str | uuid.UUID
"""What the owner identifies an object by (a document id, an attachment's uuid)."""


class UnknownMasterKey(Exception):
    """A data key is wrapped by a master key that the configuration no longer has."""


@dataclass(frozen=True)
class MasterKeys:
    """Every master key still needed to unwrap, and the one that wraps new data keys."""

    keys: dict[str, bytes] = field(repr=False)
    active_id: str

    def __post_init__(self) -> None:
        if self.active_id not in self.keys:
            raise ValueError(f"the active master key {self.active_id!r} is not among the keys")
        for key_id, key in self.keys.items():
            if len(key) != 32:
                raise ValueError(f"master key {key_id!r} must be 32 bytes (AES-256)")

    @classmethod
    def parse(cls, spec: str, active_id: str) -> MasterKeys:
        """`id1:base64,id2:base64` as in PORTAL_MASTER_KEYS."""
        keys = {}
        for item in spec.split(","):
            key_id, _, encoded = item.strip().partition(":")
            if not key_id or not encoded:
                raise ValueError("expected id:base64key[,id:base64key...]")
            keys[key_id] = base64_key(encoded)
        return cls(keys, active_id)

    @classmethod
    def from_env(cls) -> MasterKeys:
        """PORTAL_MASTER_KEYS and PORTAL_MASTER_KEY_ID, shared by every service that keeps sealed contents."""
        try:
            return cls.parse(env_str("PORTAL_MASTER_KEYS"), env_str("PORTAL_MASTER_KEY_ID"))
        except ValueError as exc:
            raise SettingsError("PORTAL_MASTER_KEYS", f"is malformed: {exc}") from None

    def new_data_key(self) -> tuple[bytes, str, bytes]:
        """A fresh data key, the active master key's id, and the data key wrapped by it."""
        data_key = AESGCM.generate_key(bit_length=256)
        return data_key, self.active_id, aes_key_wrap(self.keys[self.active_id], data_key)

    def unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        """The data key; UnknownMasterKey if master key `key_id` is not configured or did not wrap it."""
        key = self.keys.get(key_id)
        if key is None:
            raise UnknownMasterKey(key_id)
        try:
            return aes_key_unwrap(key, wrapped)
        except InvalidUnwrap:
            raise UnknownMasterKey(key_id) from None

    def rewrap(self, key_id: str, wrapped: bytes) -> tuple[str, bytes]:
        """The same data key, wrapped by the active master key."""
        return self.active_id, aes_key_wrap(self.keys[self.active_id], self.unwrap(key_id, wrapped))


def _associated_data(object_id: ObjectId, version: int, seq: int, last: bool) -> bytes:
    # Binds each chunk to its place: chunks cannot be swapped, moved or the content truncated.
    return f"{object_id}\x1f{version}\x1f{seq}\x1f{int(last)}".encode()


@dataclass(frozen=True)
class ChunkCipher:
    """Encrypts and decrypts the chunks of one version of one object."""

    data_key: bytes = field(repr=False)
    object_id: ObjectId
    version: int

    @cached_property
    def _aead(self) -> AESGCM:
        return AESGCM(self.data_key)  # once per object version, not per chunk

    def seal(self, seq: int, plaintext: bytes, last: bool) -> bytes:
        nonce = os.urandom(NONCE_SIZE)
        return nonce + self._aead.encrypt(nonce, plaintext, _associated_data(self.object_id, self.version, seq, last))

    def open(self, seq: int, sealed: bytes, last: bool) -> bytes:
        """The plaintext; cryptography's InvalidTag if the chunk was altered or belongs elsewhere."""
        nonce, ciphertext = sealed[:NONCE_SIZE], sealed[NONCE_SIZE:]
        return self._aead.decrypt(nonce, ciphertext, _associated_data(self.object_id, self.version, seq, last))
