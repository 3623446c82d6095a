"""Session tokens: signature, audience and expiry, also for tokens the verifier remembers."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from common.tokens import Caller, InvalidToken, TokenIssuer, TokenVerifier

CALLER = Caller(account_id="a1", role="physician", session_id="s1", physician="gln:7601000000002")


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_a_remembered_token_still_expires() -> None:
    key, clock = Ed25519PrivateKey.generate(), Clock()
    token, expires = TokenIssuer(key, ttl_seconds=60).issue(CALLER, now=clock.now)
    verifier = TokenVerifier(key.public_key(), clock=clock)
    assert verifier.verify(token) == CALLER
    assert verifier.verify(f"Bearer {token}") == CALLER  # remembered now
    clock.now = expires
    with pytest.raises(InvalidToken):
        verifier.verify(token)
    with pytest.raises(InvalidToken):  # and forgotten: the signature path refuses it as well
        verifier.verify(token)


def test_forged_and_foreign_tokens_are_refused() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    verifier = TokenVerifier(key.public_key())
    token, _ = TokenIssuer(other, ttl_seconds=60).issue(CALLER)
    for bad in (token, token[:-2] + "AA", "", None, "not.a.token"):
        with pytest.raises(InvalidToken):
            verifier.verify(bad)
    good, _ = TokenIssuer(key, ttl_seconds=60).issue(CALLER)
    assert verifier.verify(good).account_id == "a1"


def test_the_memory_is_bounded() -> None:
    key = Ed25519PrivateKey.generate()

    class SmallMemory(TokenVerifier):
        REMEMBERED = 3

    issuer, verifier = TokenIssuer(key, ttl_seconds=60), SmallMemory(key.public_key())
    tokens = [issuer.issue(Caller(account_id=f"a{i}", role="physician", session_id=f"s{i}"))[0] for i in range(5)]
    assert [verifier.verify(token).account_id for token in tokens] == [f"a{i}" for i in range(5)]
    assert len(verifier._verified) == 3
