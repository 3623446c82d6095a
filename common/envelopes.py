"""Secrets on their way to notify (a login code, a temporary password), sealed to notify alone.

A service that asks notify to send a secret seals it with notify's public key (libsodium's sealed
box: X25519 and XSalsa20-Poly1305, an ephemeral key per secret). The outbox table, the NOTIFY
stream and notify's own ledger only ever hold the sealed bytes; only notify's private key opens
them, at the moment of sending. Keys are base64 of 32 bytes (`python -m common.envelopes` makes a
pair).
"""

from __future__ import annotations

import base64
import binascii

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from .settings import base64_key


class SealingError(Exception):
    """A sealed secret that cannot be opened with this key (never says more)."""


class Sealer:
    """Seals secrets for notify (held by the services that ask notify to send one)."""

    def __init__(self, public_key: str) -> None:
        self._box = SealedBox(PublicKey(base64_key(public_key)))

    def seal(self, secret: str) -> str:
        return base64.b64encode(self._box.encrypt(secret.encode())).decode("ascii")


class Opener:
    """Opens what was sealed for notify (held by notify alone)."""

    def __init__(self, private_key: str) -> None:
        self._box = SealedBox(PrivateKey(base64_key(private_key)))

    def open(self, sealed: str) -> str:
        try:
            return self._box.decrypt(base64.b64decode(sealed, validate=True)).decode()
        except (CryptoError, binascii.Error, ValueError, UnicodeDecodeError):
            raise SealingError("cannot open this sealed secret") from None


def new_key_pair() -> tuple[str, str]:
    """(private, public), base64."""
    private = PrivateKey.generate()
    return (
        base64.b64encode(bytes(private)).decode("ascii"),
        base64.b64encode(bytes(private.public_key)).decode("ascii"),
    )


if __name__ == "__main__":
    private_key, public_key = new_key_pair()
    print(f"PORTAL_NOTIFY_PRIVATE_KEY={private_key}  # notify only")
    print(f"PORTAL_NOTIFY_PUBLIC_KEY={public_key}  # the services that ask notify to send a secret")
