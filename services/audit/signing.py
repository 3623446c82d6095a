"""The checkpoints' key: Ed25519, the private half the audit service's alone, the public half the
hospital's (served by the gateway at /.well-known/audit-checkpoint-key.pem, README "Audit trail")."""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from common.contracts.audit import Checkpoint
from common.tokens import load_signing_key


def signed_at_text(moment: datetime) -> str:
    """A checkpoint's time as it is signed: UTC, to the microsecond, with a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class CheckpointKey:
    """The public key that verifies checkpoints."""

    def __init__(self, key: Ed25519PublicKey) -> None:
        self._key = key
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.key_id = hashlib.sha256(raw).hexdigest()[:16]

    @classmethod
    def from_pem(cls, pem: bytes) -> CheckpointKey:
        key = serialization.load_pem_public_key(pem)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the checkpoints' public key must be an Ed25519 key")
        return cls(key)

    @classmethod
    def from_pem_file(cls, path: Path) -> CheckpointKey:
        """A public key's PEM file, or a private key's (its public half is taken)."""
        data = path.read_bytes()
        if b"PRIVATE KEY" in data:
            return CheckpointSigner.from_pem_file(path).public
        return cls.from_pem(data)

    def pem(self) -> str:
        return self._key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    def verifies(self, checkpoint: Checkpoint) -> bool:
        """Whether `checkpoint` was signed by this key, as it stands."""
        if checkpoint.key_id != self.key_id:
            return False
        try:
            signature = base64.b64decode(checkpoint.signature, validate=True)
            self._key.verify(signature, checkpoint.signed_text())
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True


class CheckpointSigner:
    """Signs the chain's head with the audit service's private key."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self.public = CheckpointKey(key.public_key())

    @classmethod
    def from_pem_file(cls, path: Path) -> CheckpointSigner:
        return cls(load_signing_key(path, "the audit checkpoint key"))

    def sign(self, seq: int, hash_: bytes, at: datetime) -> Checkpoint:
        unsigned = Checkpoint(
            seq=seq, hash=hash_.hex(), signed_at=signed_at_text(at), key_id=self.public.key_id, signature="-"
        )
        signature = base64.b64encode(self._key.sign(unsigned.signed_text())).decode()
        return unsigned.model_copy(update={"signature": signature})
