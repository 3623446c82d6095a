"""Identity's secrets at rest (authenticator-app secrets, ID document numbers and copies): AES-256-GCM
with the key from PORTAL_IDENTITY_DATA_KEY, each value bound to what it belongs to (its row and
use), so that a dump of the database alone reveals none, and a value moved to another row does
not open."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE = 12


class Sealer:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, bound_to: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, plaintext, bound_to.encode())

    def open(self, sealed: bytes, bound_to: str) -> bytes:
        """The plaintext; ValueError if the value was altered or belongs elsewhere."""
        try:
            return self._aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], bound_to.encode())
        except InvalidTag:
            raise ValueError("sealed value does not open here") from None
