"""Authenticator apps (TOTP, RFC 6238) for hospital staff: enrolled at their first login by QR
code, then a code from the app at each login instead of an SMS.

A code is 6 digits for a 30-second step; the step before and after are accepted (clocks drift);
a step once used is never accepted again for the account (a code cannot be replayed); 5 wrong
codes close the attempt. The app's secret (160 bits) is sealed at rest, bound to its account.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp

from common.db import Connection

from . import codes, store
from .codes import Checked, close_attempt, count_wrong_code
from .sealing import Sealer
from .store import digest

ISSUER = "Portail médecins"
STEP_SECONDS = 30
DRIFT_STEPS = 1


def _bound(account_id: str, enrolment: bool) -> str:
    return f"{'enrolment' if enrolment else 'totp'}:{account_id}"


def matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step whose code `code` is, within the allowed drift; None if none."""
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = int(now // STEP_SECONDS)
    for step in (current, current - DRIFT_STEPS, current + DRIFT_STEPS):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


@dataclass(frozen=True)
class Attempt:
    handle: str
    expires_at: datetime
    enrolment_uri: str | None  # only when the app is to be enrolled: it holds the new secret


async def open_attempt(
    conn: Connection, account: store.Account, enrolled: bool, ttl_seconds: int, sealer: Sealer
) -> Attempt:
    """A login attempt waiting for the app's code; for an account without an app, with a new secret."""
    handle = secrets.token_urlsafe(32)
    expires_at = datetime.now(UTC) + timedelta(seconds=ttl_seconds)
    uri = pending = None
    if not enrolled:
        secret = pyotp.random_base32()  # 32 base32 characters: 160 bits
        label = account.login or account.email
        uri = pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(name=label, issuer_name=ISSUER)
        pending = base64.b64encode(sealer.seal(secret.encode(), _bound(account.id, enrolment=True))).decode()
    async with conn.transaction():
        purpose = "app" if enrolled else "app_enrolment"
        await codes.open_attempt(conn, handle, account.id, b"", expires_at, purpose, pending=pending)
    return Attempt(handle, expires_at, uri)


async def check(
    conn: Connection, handle: str, code: str, max_attempts: int, sealer: Sealer, now: float | None = None
) -> Checked:
    """Like codes.check, for an app's code (in the caller's transaction, which must commit)."""
    handle_hash = digest(handle)
    row = await conn.fetchrow(
        "SELECT c.account_id, c.purpose, c.pending, a.totp_secret, a.totp_last_step "
        "FROM login_challenges c JOIN accounts a ON a.id = c.account_id "
        "WHERE c.handle_hash = $1 AND c.closed_at IS NULL AND c.expires_at > now() "
        "AND c.purpose IN ('app', 'app_enrolment') FOR UPDATE OF c, a",
        handle_hash,
    )
    if row is None:
        return Checked(account_id=None, ok=False)
    account_id, enrolment = str(row["account_id"]), row["purpose"] == "app_enrolment"
    sealed = base64.b64decode(row["pending"]) if enrolment else row["totp_secret"]
    secret = sealer.open(bytes(sealed), _bound(account_id, enrolment)).decode() if sealed else None
    step = None if secret is None else matching_step(secret, code, time.time() if now is None else now)
    if step is None or step <= row["totp_last_step"]:
        await count_wrong_code(conn, handle_hash, max_attempts)
        return Checked(account_id=account_id, ok=False)
    await close_attempt(conn, handle_hash)
    if enrolment:
        assert secret is not None
        await conn.execute(
            "UPDATE accounts SET totp_secret = $2, totp_last_step = $3 WHERE id = $1",
            uuid.UUID(account_id),
            sealer.seal(secret.encode(), _bound(account_id, enrolment=False)),
            step,
        )
    else:
        await conn.execute("UPDATE accounts SET totp_last_step = $2 WHERE id = $1", uuid.UUID(account_id), step)
    return Checked(account_id=account_id, ok=True)


async def attempt_kind(conn: Connection, handle: str) -> str | None:
    """The purpose of an open attempt (which check applies), if any."""
    purpose: str | None = await conn.fetchval(
        "SELECT purpose FROM login_challenges WHERE handle_hash = $1 AND closed_at IS NULL", digest(handle)
    )
    return purpose
