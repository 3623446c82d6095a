"""The owner unlocks a login blocked by failed attempts with a code sent to their mobile.

Anyone may ask, for any name: the answer is always a challenge, and a code goes only to the
mobile of an active account whose login is blocked (locked, or its name made to wait). The code
lifts the lock and the name's wait; the password is still needed afterwards. The codes share the
account's SMS limit (3 in 15 minutes), and the asking is limited per address.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

from common.contracts import identity as api
from common.contracts.base import Empty
from common.errors import TooManyRequests, Unauthenticated

from . import codes, store, trail
from . import login_protection as protection
from .deps import Deps
from .login import normalise_login


async def ask_unlock(msg: api.UnlockAsk, deps: Deps) -> api.CodeChallenge:
    """Send an unlocking code if the name is blocked; the same answer whatever the case."""
    login = normalise_login(msg.login)
    secret = deps.settings.data_key
    async with deps.outbox.connection() as conn:
        if not await protection.reserve_unlock(conn, msg.client_ip):
            raise TooManyRequests("too many unlocking attempts; try again later")
        account = await store.account_by_login(conn, login)
        blocked = (
            account is not None
            and account.status == "active"
            and bool(account.mobile)
            and (account.locked or await protection.name_is_waiting(conn, login, secret))
        )
        if account is not None and blocked:
            try:
                issued = await codes.issue(conn, deps.settings, account, "unlock")
            except TooManyRequests:
                pass  # the same answer: the limit is no one's business
            else:
                await trail.record(
                    conn,
                    "account.unlock_asked",
                    by=None,
                    entity=trail.account(account.id),
                    client_ip=msg.client_ip,
                    detail="SMS code sent",
                )
                return api.CodeChallenge(challenge=issued.handle, expires_at=issued.expires_at)
    # A handle that leads nowhere, shaped like a real one.
    expires_at = datetime.now(UTC) + timedelta(seconds=deps.settings.sms_code_ttl_seconds)
    return api.CodeChallenge(challenge=secrets.token_urlsafe(32), expires_at=expires_at)


async def unlock_with_code(msg: api.UnlockCode, deps: Deps) -> Empty:
    """The right code lifts the lock and the name's wait (audited); a wrong one counts."""
    async with deps.outbox.transaction() as conn:
        checked = await codes.check(conn, msg.challenge, msg.code, "unlock", deps.settings.sms_code_max_attempts)
        if checked.ok and checked.account_id is not None:
            login = await conn.fetchval("SELECT login FROM accounts WHERE id = $1", uuid.UUID(checked.account_id))
            await protection.unlock(conn, login or "", checked.account_id, deps.settings.data_key)
        await trail.record(
            conn,
            "account.unlocked",
            by=None,
            entity=None if checked.account_id is None else trail.account(checked.account_id),
            outcome="success" if checked.ok else "failure",
            client_ip=msg.client_ip,
            detail="by SMS code" if checked.ok else ("wrong code" if checked.account_id else "no such attempt"),
        )
    if not checked.ok:
        raise Unauthenticated("invalid or expired code")
    return Empty()
