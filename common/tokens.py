"""Session tokens: identity signs them (Ed25519), every service verifies them itself.

The gateway passes the token of the browser's session with each request, in the
`Authorization` header of the NATS message. A token is short-lived; services never trust a
bare user id in a message body.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .contracts.base import Role
from .recent import Recent

ISSUER = "portal-identity"
AUDIENCE = "portal-services"
HEADER = "Authorization"


class InvalidToken(Exception):
    """Missing, forged, expired or otherwise unusable token."""


@dataclass(frozen=True)
class Caller:
    """Who is asking, as proven by a verified token."""

    account_id: str
    role: Role
    session_id: str
    physician: str | None = None  # e.g. "gln:7601000000002", for physicians
    login: str | None = None  # staff: their login, which the hospital sees on what they do (a status's `by`)


class TokenIssuer:
    """Signs tokens; only the identity service holds the private key."""

    def __init__(self, private_key: Ed25519PrivateKey, ttl_seconds: int) -> None:
        self._key = private_key
        self._ttl = ttl_seconds

    @classmethod
    def from_pem_file(cls, path: Path, ttl_seconds: int) -> TokenIssuer:
        return cls(load_signing_key(path, "the token signing key"), ttl_seconds)

    def issue(self, caller: Caller, now: float | None = None) -> tuple[str, int]:
        """Return a signed token for `caller` and its expiry (epoch seconds)."""
        issued = int(now if now is not None else time.time())
        expires = issued + self._ttl
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": caller.account_id,
            "role": caller.role,
            "sid": caller.session_id,
            "iat": issued,
            "exp": expires,
            "jti": uuid.uuid4().hex,
        }
        if caller.physician:
            claims["phy"] = caller.physician
        if caller.login and caller.role != "physician":
            claims["lgn"] = caller.login
        return jwt.encode(claims, self._key, algorithm="EdDSA"), expires

    def verifier(self) -> TokenVerifier:
        """What verifies this issuer's tokens: identity verifies its own callers as the others do."""
        return TokenVerifier(self._key.public_key())


class TokenVerifier:
    """Checks signature, issuer, audience and expiry; held by every service.

    A token verified once is remembered (the exact string, until its expiry): a browsing session
    sends the same token with every request, and the signature check is the costliest part of a
    small request. Only successes are remembered, a bounded number of them.
    """

    REMEMBERED = 4096

    def __init__(self, public_key: Ed25519PublicKey, clock: Callable[[], float] = time.time) -> None:
        self._key = public_key
        self._clock = clock
        self._verified: Recent[str, tuple[Caller, int]] = Recent(self.REMEMBERED)  # token -> (caller, expiry)

    @classmethod
    def from_pem_file(cls, path: Path) -> TokenVerifier:
        key = serialization.load_pem_public_key(path.read_bytes())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the token verification key must be an Ed25519 public key")
        return cls(key)

    def verify(self, token: str | None) -> Caller:
        if not token:
            raise InvalidToken("no token")
        if token.startswith("Bearer "):
            token = token[len("Bearer ") :]
        remembered = self._verified.get(token)
        if remembered is not None:
            caller, expires = remembered
            if self._clock() < expires:
                return caller
            self._verified.drop(token)
            raise InvalidToken("ExpiredSignatureError")
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=["EdDSA"],
                audience=AUDIENCE,
                issuer=ISSUER,
                # Expiry is checked below, on this verifier's clock (the same one as for remembered tokens).
                options={"require": ["exp", "iat", "sub", "sid"], "verify_exp": False},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(type(exc).__name__) from None
        if not isinstance(claims["exp"], int) or self._clock() >= claims["exp"]:
            raise InvalidToken("ExpiredSignatureError")
        caller = Caller(
            account_id=claims["sub"],
            role=claims["role"],
            session_id=claims["sid"],
            physician=claims.get("phy"),
            login=claims.get("lgn"),
        )
        self._verified.put(token, (caller, int(claims["exp"])))
        return caller


def load_signing_key(path: Path, what: str) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PEM file (PKCS#8, unencrypted)."""
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{what} must be an Ed25519 private key")
    return key


def generate_key_pair(private_path: Path, public_path: Path) -> None:
    """Write a new Ed25519 key pair as PEM files (dev and test set-up)."""
    key = Ed25519PrivateKey.generate()
    private_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    private_path.chmod(0o600)
    public_path.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
