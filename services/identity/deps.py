"""What every identity handler is given: the settings and this process's open resources."""

from __future__ import annotations

import ssl
from dataclasses import dataclass

import asyncpg
from nats.aio.client import Client as NATS

from common.outbox import OutboxRelay
from common.tokens import TokenIssuer

from .assertions import AssertionSigner
from .config import IdentitySettings
from .passwords import Passwords
from .sealing import Sealer


@dataclass(frozen=True)
class Deps:
    settings: IdentitySettings
    pool: asyncpg.Pool
    nc: NATS
    issuer: TokenIssuer
    outbox: OutboxRelay
    sealer: Sealer
    signer: AssertionSigner
    passwords: Passwords  # hashes and verifies, a bounded number at a time
    common_passwords: frozenset[str]  # refused as new passwords (password_policy)
    hin_tls: ssl.SSLContext | None  # one TLS context for HIN's endpoints (None: no HIN login)
