"""SMS codes: for a login, or to confirm a change of one's own credentials from a session.

A code is 6 digits from `secrets`, valid 5 minutes, single use, bound to the attempt that asked
for it (only its MAC is stored, keyed by the handle the browser holds); a new code closes the
account's open ones; 5 wrong codes close the attempt; at most 3 codes per account in 15 minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from common.contracts import notifications as notify
from common.contracts.identity import NO_MOBILE
from common.contracts.notifications import CodePurpose
from common.db import Connection
from common.errors import InvalidRequest, TooManyRequests

from . import login_protection as protection
from . import notices, store
from .config import IdentitySettings
from .store import digest

Purpose = Literal["login", "password", "mobile", "mobile_new", "unlock", "recovery"]

NOTIFY_PURPOSE: dict[Purpose, CodePurpose] = {
    "login": "login",
    "password": "password_change",
    "mobile": "mobile_change",
    "mobile_new": "new_mobile",
    "unlock": "account_unlock",
    "recovery": "password_recovery",
}


def new_code() -> str:
    """6 digits from a cryptographic generator."""
    return f"{secrets.randbelow(10**6):06d}"


def code_mac(handle: str, code: str) -> bytes:
    """The SMS code bound to its attempt; useless without the handle, which only the browser holds."""
    return hmac.new(handle.encode(), code.encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class Issued:
    handle: str
    expires_at: datetime


async def issue(
    conn: Connection,
    settings: IdentitySettings,
    account: store.Account,
    purpose: Purpose,
    *,
    session_id: str | None = None,
    pending: str | None = None,
    to: str | None = None,
) -> Issued:
    """Open a new attempt and ask notify to send its code to the account's mobile (or `to`), in
    one transaction: the code goes once that transaction committed, and only then.

    The account's row is held while its codes are counted and the attempt is recorded: two
    attempts at once cannot both be the third. Raises TooManyRequests past the limit."""
    recipient = to or account.mobile
    if not recipient:
        raise InvalidRequest(NO_MOBILE)
    handle, code = secrets.token_urlsafe(32), new_code()
    expires_at = datetime.now(UTC) + timedelta(seconds=settings.sms_code_ttl_seconds)
    async with conn.transaction():
        await store.lock_account(conn, account.id)
        if await protection.attempts_lately(conn, account.id, protection.SMS_PURPOSES) >= protection.SMS_PER_WINDOW:
            raise TooManyRequests("too many codes asked; try again later")
        await open_attempt(conn, handle, account.id, code_mac(handle, code), expires_at, purpose, session_id, pending)
        await notices.ask(
            conn,
            notify.SendCode(
                to=recipient,
                purpose=NOTIFY_PURPOSE[purpose],
                code=settings.for_notify.seal(code),
                expires_at=expires_at,
                locale=account.locale,
                account_id=account.id,
            ),
        )
    return Issued(handle, expires_at)


async def open_attempt(
    conn: Connection,
    handle: str,
    account_id: str,
    mac: bytes,
    expires_at: datetime,
    purpose: str,
    session_id: str | None = None,
    pending: str | None = None,
) -> None:
    """Record a new attempt; it closes the account's open ones (a new code kills the old)."""
    await conn.execute(
        "UPDATE login_challenges SET closed_at = now(), pending = NULL WHERE account_id = $1 AND closed_at IS NULL",
        uuid.UUID(account_id),
    )
    await conn.execute(
        "INSERT INTO login_challenges (handle_hash, account_id, code_mac, expires_at, purpose, session_id, pending) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        digest(handle),
        uuid.UUID(account_id),
        mac,
        expires_at,
        purpose,
        None if session_id is None else uuid.UUID(session_id),
        pending,
    )


async def close_attempt(conn: Connection, handle_hash: bytes) -> None:
    """The right code came: the attempt is used, and forgets the change it held."""
    await conn.execute(
        "UPDATE login_challenges SET closed_at = now(), pending = NULL WHERE handle_hash = $1", handle_hash
    )


async def count_wrong_code(conn: Connection, handle_hash: bytes, max_attempts: int) -> None:
    """One more wrong code for the attempt; it closes at `max_attempts`."""
    await conn.execute(
        "UPDATE login_challenges SET attempts = attempts + 1, "
        "closed_at = CASE WHEN attempts + 1 >= $2 THEN now() END, "
        "pending = CASE WHEN attempts + 1 >= $2 THEN NULL ELSE pending END WHERE handle_hash = $1",
        handle_hash,
        max_attempts,
    )


@dataclass(frozen=True)
class Checked:
    account_id: str | None  # the attempt's account; None if there is no such open attempt
    ok: bool
    session_id: str | None = None
    pending: str | None = None


async def check(
    conn: Connection, handle: str, code: str, purpose: Purpose, max_attempts: int, session_id: str | None = None
) -> Checked:
    """In the caller's transaction (which must commit, also when the code is wrong): close the
    attempt if `code` is its code, else count a wrong one (the attempt closes at `max_attempts`).
    An attempt unknown, used, expired, for another purpose or from another session is no attempt."""
    handle_hash = digest(handle)
    row = await conn.fetchrow(
        "SELECT account_id, code_mac, session_id, pending FROM login_challenges "
        "WHERE handle_hash = $1 AND closed_at IS NULL AND expires_at > now() AND purpose = $2 FOR UPDATE",
        handle_hash,
        purpose,
    )
    if row is None or (session_id is not None and str(row["session_id"]) != session_id):
        return Checked(account_id=None, ok=False)
    account_id = str(row["account_id"])
    if not hmac.compare_digest(bytes(row["code_mac"]), code_mac(handle, code)):
        await count_wrong_code(conn, handle_hash, max_attempts)
        return Checked(account_id=account_id, ok=False)
    await close_attempt(conn, handle_hash)
    session = row["session_id"]
    return Checked(account_id, True, None if session is None else str(session), row["pending"])
