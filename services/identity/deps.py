"""What every identity handler is given: the settings and this process's open resources."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from nats.aio.client import Client as NATS

from common.outbox import OutboxRelay
from common.tokens import TokenIssuer

from .assertions import AssertionSigner
from .config import IdentitySettings
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
