"""The assertion that hands a physician's identity to a secure application (F4).

A JWT signed with EdDSA (Ed25519) under its own key (not the session tokens'): issuer = the
portal's public URL, audience = the application's identifier, 60 seconds, a unique `jti` the
application keeps until expiry to refuse a second use. The public key is published as a JSON Web
Key Set (RFC 7517), its `kid` the key's RFC 7638 thumbprint.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from common.contracts.applications import ASSERTION_SECONDS
from common.tokens import load_signing_key


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class Signed:
    token: str
    jti: str
    expires_at: datetime


class AssertionSigner:
    def __init__(self, key: Ed25519PrivateKey, issuer: str) -> None:
        self._key = key
        self.issuer = issuer
        raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self._public = {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}
        canonical = json.dumps(self._public, separators=(",", ":"), sort_keys=True).encode()
        self.kid = _b64url(hashlib.sha256(canonical).digest())

    @classmethod
    def from_pem_file(cls, path: Path, issuer: str) -> AssertionSigner:
        return cls(load_signing_key(path, "the assertion signing key"), issuer)

    def sign(self, audience: str, subject: str, claims: dict[str, Any], now: float | None = None) -> Signed:
        issued = int(now if now is not None else time.time())
        jti = uuid.uuid4().hex
        payload = {
            **claims,
            "iss": self.issuer,
            "aud": audience,
            "sub": subject,
            "iat": issued,
            "nbf": issued,
            "exp": issued + ASSERTION_SECONDS,
            "jti": jti,
        }
        token = jwt.encode(payload, self._key, algorithm="EdDSA", headers={"kid": self.kid, "typ": "JWT"})
        return Signed(token, jti, datetime.fromtimestamp(issued + ASSERTION_SECONDS, UTC))

    def jwks(self) -> list[dict[str, Any]]:
        return [{**self._public, "kid": self.kid, "use": "sig", "alg": "EdDSA"}]
