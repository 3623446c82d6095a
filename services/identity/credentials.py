"""Changing one's own credentials from a session: the current password, then an SMS code.

Starting a change checks the current password and the new value, and sends a code to the
account's mobile; the new value waits with the attempt (a password only as its hash). The code,
from the same session, applies it. A new password ends the account's other sessions.
"""
from __future__ import annotations

import uuid

import asyncpg

from common.contracts import identity as api
from common.errors import InvalidRequest, TooManyRequests, Unauthenticated

from . import codes, login_protection as protection, store
from .codes import digest
from .handlers import Deps, audit_record, normalise_login
from .password_policy import refusal
from .passwords import hash_password, verify_password


async def session_account(
    conn: asyncpg.Connection, deps: Deps, session: str, touch: bool = True
) -> tuple[str, store.Account]:
    """The live session's id and account; Unauthenticated otherwise."""
    found = await store.touch_live_session(
        conn, digest(session), deps.settings.session_idle_seconds, deps.settings.session_absolute_seconds, touch
    )
    if found is None:
        raise Unauthenticated("no such session")
    return found


async def start_password_change(msg: api.PasswordChangeStart, deps: Deps) -> api.CodeChallenge:
    async with deps.pool.acquire() as conn:
        session_id, account = await session_account(conn, deps, msg.session)
        # Guesses of the current password from a session count with those at the login form.
        name = normalise_login(account.login or account.id)
        if await protection.waiting(conn, [protection.name_key(name)]) is not None:
            raise TooManyRequests("too many failed attempts; try again later")
        password_hash = await store.password_hash(conn, account.id)
    if not await verify_password(password_hash, msg.current_password):
        async with deps.pool.acquire() as conn, conn.transaction():
            await protection.record_failure(conn, name, "")
            await audit_record(deps, conn, "password.changed", "failure", account, "wrong current password")
        raise Unauthenticated("the current password is not right")
    reason = refusal(msg.new_password, login=account.login, email=account.email)
    if reason is not None:
        raise InvalidRequest(reason)
    new_hash = await hash_password(msg.new_password)
    async with deps.pool.acquire() as conn:
        issued = await codes.issue(
            conn, deps.nc, account, "password", deps.settings.sms_code_ttl_seconds, session_id=session_id, pending=new_hash
        )
    return api.CodeChallenge(challenge=issued.handle, expires_at=issued.expires_at)


async def finish_password_change(msg: api.ChangeConfirmation, deps: Deps) -> api.Empty:
    async with deps.pool.acquire() as conn, conn.transaction():
        session_id, account = await session_account(conn, deps, msg.session)
        checked = await codes.check(
            conn, msg.challenge, msg.code, "password", deps.settings.sms_code_max_attempts, session_id=session_id
        )
        if checked.ok and checked.pending:
            await conn.execute(
                "UPDATE accounts SET password_hash = $2 WHERE id = $1", uuid.UUID(account.id), checked.pending
            )
            await store.end_other_sessions(conn, account.id, session_id)
        outcome = "success" if checked.ok else "failure"
        await audit_record(deps, conn, "password.changed", outcome, account, "" if checked.ok else "wrong or expired code")
    deps.outbox.wake()
    if not checked.ok:
        raise Unauthenticated("invalid or expired code")
    return api.Empty()
