"""F5.6 account recovery: a physician who forgot their password renews it alone.

1. They give a login name or an email address. Whatever it names, the answer is the same and
   comes after the same time (ANSWER_SECONDS); the limits count per address and per name given.
   What differs goes by email to the account's own address, so a stranger learns nothing:
   - an active physician with a password and a mobile number gets a link (a random token of 256
     bits; only its hash is kept), single use, valid LINK_MINUTES; a new link replaces the old;
     at most LINKS_PER_HOUR;
   - an account that logs in with HIN only is told to log in with HIN (it has no password here);
   - a staff account is told to ask an administrator: staff log in with an authenticator app,
     which the link and an SMS could not replace, and an administrator gives them a new temporary
     password (account_admin.reset_password). Staff are kept out of self-service;
   - a physician without a mobile number is told to contact the support;
   - no account, a deactivated or pending one: nothing.
   Each notice goes at most once a day per account.
2. The link and a new password (the project's rules, password_policy): a code goes by SMS to the
   registered mobile, the new password's hash waiting with it (codes.py).
3. The right code sets the password, closes the link, ends every session of the account and lifts
   a lock from failed logins (the owner proved the email and the mobile). A wrong one is counted,
   for the attempt and for the link: at the SMS code's limit of wrong codes, both are closed.
Every step is audited; nothing here logs.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from common.contracts import identity as api
from common.contracts import notifications as notify
from common.contracts import recovery as contract
from common.contracts.base import Empty
from common.db import Connection
from common.errors import InvalidRequest, TooManyRequests, Unauthenticated

from . import codes, notices, store, trail
from . import login_protection as protection
from .deps import Deps
from .login import normalise_login
from .password_policy import refusal
from .store import digest

ANSWER_SECONDS = 0.3
"""The first step answers after this long whatever it found (its work takes some 10 ms): how long
it took says nothing of the account."""
LINKS_PER_HOUR = 3
ACCOUNTS_PER_EMAIL = 5


def _eligible(account: store.Account) -> bool:
    """An account that may renew its password by itself: an active physician's with a password and a mobile."""
    return (
        account.status == "active"
        and account.role == "physician"
        and account.password_hash is not None
        and bool(account.mobile)
    )


async def ask(msg: contract.RecoveryAsk, deps: Deps) -> Empty:
    """Email the account(s) `msg.name` names, if any, what fits each; the same answer always."""
    loop = asyncio.get_running_loop()
    answer_at = loop.time() + ANSWER_SECONDS
    name = msg.name.strip()
    async with deps.outbox.connection() as conn:
        if not await protection.reserve_recovery(conn, name, msg.client_ip, deps.settings.data_key):
            raise TooManyRequests("too many recovery requests; try again later")
        if "@" in name:
            accounts = await store.accounts_by_email(conn, name, ACCOUNTS_PER_EMAIL)
        else:
            found = await store.account_by_login(conn, normalise_login(name))
            accounts = [] if found is None else [found]
        for account in accounts:
            if account.status == "active":
                async with conn.transaction():
                    await _tell(conn, deps, account, msg.client_ip)
    await asyncio.sleep(max(0.0, answer_at - loop.time()))
    return Empty()


async def _tell(conn: Connection, deps: Deps, account: store.Account, client_ip: str) -> None:
    """In the caller's transaction: the link, or the notice that fits the account."""
    if _eligible(account):
        detail = await _send_link(conn, deps, account, client_ip)
    else:
        kind: notify.EmailNoticeKind = (
            "recovery_hin"
            if account.password_hash is None
            else ("recovery_staff" if account.is_staff else "recovery_support")
        )
        detail = f"notice {kind} not sent: one a day"
        if await protection.once_a_day(conn, f"recovery:{account.id}"):
            await notices.ask(
                conn, notify.SendEmailNotice(to=account.email, kind=kind, locale=account.locale, account_id=account.id)
            )
            detail = f"notice {kind} sent by email"
    await trail.record(
        conn, "password.recovery_asked", by=None, entity=trail.account(account.id), client_ip=client_ip, detail=detail
    )


async def _send_link(conn: Connection, deps: Deps, account: store.Account, client_ip: str) -> str:
    account_id = uuid.UUID(account.id)
    await store.lock_account(conn, account.id)  # two asks at once cannot both be the fourth
    recent = await conn.fetchval(
        "SELECT count(*) FROM recovery_links WHERE account_id = $1 AND created_at > now() - interval '1 hour'",
        account_id,
    )
    if recent >= LINKS_PER_HOUR:
        return "link not sent: too many in an hour"
    token = secrets.token_urlsafe(32)
    expires_at = datetime.now(UTC) + timedelta(minutes=contract.LINK_MINUTES)
    await conn.execute(
        "UPDATE recovery_links SET closed_at = now() WHERE account_id = $1 AND closed_at IS NULL", account_id
    )
    await conn.execute(
        "INSERT INTO recovery_links (token_hash, account_id, client_ip, expires_at) VALUES ($1, $2, $3, $4)",
        digest(token),
        account_id,
        client_ip,
        expires_at,
    )
    await notices.ask(
        conn,
        notify.SendRecoveryLink(
            to=account.email,
            token=deps.settings.for_notify.seal(token),
            valid_minutes=contract.LINK_MINUTES,
            locale=account.locale,
            account_id=account.id,
        ),
    )
    return "link sent by email"


async def _link_account(conn: Connection, token: str, *, hold: bool = False) -> store.Account:
    """The account of a link still open (not used, replaced or expired) that may still renew its
    password; Unauthenticated(LINK_DEAD) otherwise. `hold`: its row is locked until the transaction ends."""
    account_id = await conn.fetchval(
        "SELECT account_id FROM recovery_links WHERE token_hash = $1 AND closed_at IS NULL AND expires_at > now()"
        + (" FOR UPDATE" if hold else ""),
        digest(token),
    )
    account = None if account_id is None else await store.account_by_id(conn, str(account_id))
    if account is None or not _eligible(account):
        raise Unauthenticated(contract.LINK_DEAD)
    return account


async def check_link(msg: contract.RecoveryLink, deps: Deps) -> Empty:
    """Whether the link can still be used (the page then asks for the new password)."""
    async with deps.pool.acquire() as conn:
        await _link_account(conn, msg.token)
    return Empty()


async def start(msg: contract.RecoveryStart, deps: Deps) -> api.CodeChallenge:
    """The link and the new password: a code goes to the registered mobile, the password's hash
    waits with it."""
    async with deps.pool.acquire() as conn:
        account = await _link_account(conn, msg.token)
        # Before hashing (argon2 costs the machine): no fourth code in 15 minutes anyway.
        if await protection.attempts_lately(conn, account.id, protection.SMS_PURPOSES) >= protection.SMS_PER_WINDOW:
            raise TooManyRequests("too many codes asked; try again later")
    reason = refusal(msg.new_password, deps.common_passwords, login=account.login, email=account.email)
    if reason is not None:
        raise InvalidRequest(reason)
    new_hash = await deps.passwords.hash(msg.new_password)
    async with deps.outbox.connection() as conn:
        issued = await codes.issue(conn, deps.settings, account, "recovery", pending=new_hash)
    return api.CodeChallenge(challenge=issued.handle, expires_at=issued.expires_at)


async def finish(msg: contract.RecoveryFinish, deps: Deps) -> Empty:
    """The right code sets the new password, closes the link and ends every session (audited);
    a wrong one is counted, and closes the link at the limit."""
    max_attempts = deps.settings.sms_code_max_attempts
    async with deps.outbox.transaction() as conn:
        account = await _link_account(conn, msg.token, hold=True)
        checked = await codes.check(conn, msg.challenge, msg.code, "recovery", max_attempts)
        ours = checked.account_id == account.id
        if checked.ok and ours and checked.pending:
            await _renew(conn, deps, account, msg.token, checked.pending)
        elif checked.account_id is not None:
            await conn.execute(
                "UPDATE recovery_links SET wrong_codes = wrong_codes + 1, "
                "closed_at = CASE WHEN wrong_codes + 1 >= $2 THEN now() END WHERE token_hash = $1",
                digest(msg.token),
                max_attempts,
            )
        done = checked.ok and ours and bool(checked.pending)
        await trail.record(
            conn,
            "password.recovered",
            by=None,
            entity=trail.account(account.id),
            outcome="success" if done else "failure",
            client_ip=msg.client_ip,
            detail="with the link and the SMS code" if done else "wrong or expired code",
        )
    if not done:
        raise Unauthenticated("invalid or expired code")
    return Empty()


async def _renew(conn: Connection, deps: Deps, account: store.Account, token: str, new_hash: str) -> None:
    """In the finishing transaction: the new password, the link used, every session ended, no lock."""
    await conn.execute(
        "UPDATE accounts SET password_hash = $2, must_change_password = false, temporary_password_expires_at = NULL "
        "WHERE id = $1",
        uuid.UUID(account.id),
        new_hash,
    )
    await conn.execute("UPDATE recovery_links SET closed_at = now() WHERE token_hash = $1", digest(token))
    await store.end_all_sessions(conn, account.id)
    await protection.unlock(conn, account.login or "", account.id, deps.settings.data_key)
