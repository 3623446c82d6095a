"""Changing one's own credentials from a session: the current password, then an SMS code.

Starting a change checks the current password and the new value, and sends a code to the
account's current mobile; the new value waits with the attempt (a password only as its hash).
The code, from the same session, applies it. A new password ends the account's other sessions;
a new mobile number is told to the old one.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from common.contracts import audit
from common.contracts import identity as api
from common.contracts import notifications as notify
from common.contracts.base import Empty
from common.db import Connection
from common.errors import InvalidRequest, TooManyRequests, Unauthenticated
from common.tokens import Caller

from . import codes, notices, store, trail
from . import login_protection as protection
from .access import session_account
from .deps import Deps
from .login import count_account_failure, normalise_login
from .password_policy import refusal


async def _checked_session(
    deps: Deps, caller: Caller, current_password: str, action: audit.Action
) -> tuple[str, store.Account]:
    """The session's account once its current password is proven; guesses count with the login form's."""
    async with deps.outbox.connection() as conn:
        session_id, account = await session_account(conn, deps, caller)
        name = normalise_login(account.login or account.id)
        if not await protection.reserve(conn, name, "", deps.settings.data_key):
            raise TooManyRequests("too many failed attempts; try again later")
    password_hash = account.password_hash  # the session's account, read with it
    if password_hash is None:  # a HIN account: HIN keeps its credentials
        raise InvalidRequest(api.HIN_ONLY)
    if not await deps.passwords.verify(password_hash, current_password):
        async with deps.outbox.transaction() as conn:
            await count_account_failure(conn, account.id)
            await trail.record(
                conn,
                action,
                by=account,
                entity=trail.account(account.id),
                outcome="failure",
                detail="wrong current password",
            )
        raise Unauthenticated("the current password is not right")
    async with deps.outbox.connection() as conn:
        await protection.release_name(conn, name, deps.settings.data_key)
    return session_id, account


async def _send_code(
    deps: Deps, session_id: str, account: store.Account, purpose: codes.Purpose, pending: str, to: str | None = None
) -> api.CodeChallenge:
    async with deps.outbox.connection() as conn:
        issued = await codes.issue(conn, deps.settings, account, purpose, session_id=session_id, pending=pending, to=to)
    return api.CodeChallenge(challenge=issued.handle, expires_at=issued.expires_at)


async def _confirm(
    deps: Deps,
    caller: Caller,
    msg: api.ChangeConfirmation,
    purpose: codes.Purpose,
    action: audit.Action,
    apply: Callable[[Connection, store.Account, str, str], Awaitable[None]] | None = None,
) -> tuple[str, store.Account, str]:
    """Check the code from the same session and apply the change it confirms, in the transaction
    that closes the attempt; without `apply`, a step before the change (only a failure is audited).
    Answers the session, the account (as it was) and the change that waited."""
    async with deps.outbox.transaction() as conn:
        session_id, account = await session_account(conn, deps, caller)
        checked = await codes.check(
            conn, msg.challenge, msg.code, purpose, deps.settings.sms_code_max_attempts, session_id=session_id
        )
        if checked.ok and checked.pending and apply is not None:
            await apply(conn, account, session_id, checked.pending)
        if not checked.ok or apply is not None:
            await trail.record(
                conn,
                action,
                by=account,
                entity=trail.account(account.id),
                outcome="success" if checked.ok else "failure",
                detail="" if checked.ok else "wrong or expired code",
            )
    if not checked.ok or not checked.pending:
        raise Unauthenticated("invalid or expired code")
    return session_id, account, checked.pending


async def start_password_change(msg: api.PasswordChangeStart, caller: Caller, deps: Deps) -> api.CodeChallenge:
    session_id, account = await _checked_session(deps, caller, msg.current_password, "password.changed")
    reason = refusal(msg.new_password, deps.common_passwords, login=account.login, email=account.email)
    if reason is not None:
        raise InvalidRequest(reason)
    return await _send_code(deps, session_id, account, "password", await deps.passwords.hash(msg.new_password))


async def finish_password_change(msg: api.ChangeConfirmation, caller: Caller, deps: Deps) -> Empty:
    async def apply(conn: Connection, account: store.Account, session_id: str, new_hash: str) -> None:
        await conn.execute(
            "UPDATE accounts SET password_hash = $2, must_change_password = false, temporary_password_expires_at = NULL "
            "WHERE id = $1",
            uuid.UUID(account.id),
            new_hash,
        )
        await store.end_other_sessions(conn, account.id, session_id)

    await _confirm(deps, caller, msg, "password", "password.changed", apply)
    return Empty()


async def start_mobile_change(msg: api.MobileChangeStart, caller: Caller, deps: Deps) -> api.CodeChallenge:
    session_id, account = await _checked_session(deps, caller, msg.current_password, "mobile.changed")
    if msg.new_mobile == account.mobile:
        raise InvalidRequest("this is already the account's mobile number")
    return await _send_code(deps, session_id, account, "mobile", msg.new_mobile)


async def finish_mobile_change(msg: api.ChangeConfirmation, caller: Caller, deps: Deps) -> api.CodeChallenge:
    """The code from the current number: then a code goes to the new number, which must work."""
    session_id, account, new_mobile = await _confirm(deps, caller, msg, "mobile", "mobile.changed")
    return await _send_code(deps, session_id, account, "mobile_new", new_mobile, to=new_mobile)


async def verify_new_mobile(msg: api.ChangeConfirmation, caller: Caller, deps: Deps) -> Empty:
    """The code from the new number: the change is made, and the old number is told."""

    async def apply(conn: Connection, account: store.Account, session_id: str, new_mobile: str) -> None:
        await conn.execute("UPDATE accounts SET mobile = $2 WHERE id = $1", uuid.UUID(account.id), new_mobile)
        if account.mobile:  # the old number is told, in the change's transaction
            await notices.ask(
                conn,
                notify.SendNotice(
                    to=account.mobile, kind="mobile_changed", locale=account.locale, account_id=account.id
                ),
            )

    await _confirm(deps, caller, msg, "mobile_new", "mobile.changed", apply)
    return Empty()
