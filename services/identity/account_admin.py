"""Administrators' work on accounts (F11): list and search, deactivate (which ends every session
of the account at once) and reactivate, unlock after too many failed logins. Administrators
only; to anyone else the accounts do not exist."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg

from common.contracts import accounts as api
from common.contracts import audit
from common.contracts import notifications as notify
from common.contracts.notifications import TemporaryPasswordReason
from common.db import Connection, fetch_one
from common.errors import Conflict, NotFound, Unauthenticated
from common.tokens import Caller

from . import control_codes, notices, store, trail
from .access import opaque_id, staff_account
from .codes import new_code
from .deps import Deps
from .login_creation import give_temporary_password, new_temporary_password, open_login

_LISTING = (
    "id::text, login, family_name, given_name, role, status, email, "
    f"{store.PHYSICIAN_NUMBER} AS number, "
    "locked_at IS NOT NULL AS locked, created_at, mobile, pending_mobile, totp_secret IS NOT NULL AS app_enrolled, "
    "hin_id IS NOT NULL AS hin_linked"
)


async def _admin(conn: Connection, deps: Deps, caller: Caller) -> store.Account:
    return await staff_account(conn, deps, caller, ("admin",))


async def search(msg: api.AccountSearch, caller: Caller, deps: Deps) -> api.AccountPage:
    conditions, params = [], []
    if msg.text:
        text = store.like_escaped(msg.text.strip().casefold())
        params.append(f"%{text}%")
        n = len(params)
        conditions.append(
            f"(lower(family_name || ' ' || given_name) LIKE ${n} OR lower(given_name || ' ' || family_name) LIKE ${n} "
            f"OR lower(coalesce(login, '')) LIKE ${n} OR lower(email) LIKE ${n} "
            f"OR coalesce(gln, '') LIKE ${n} OR coalesce(rpps, '') LIKE ${n})"
        )
    for column, value in (("role", msg.role), ("status", msg.status)):
        if value is not None:
            params.append(value)
            conditions.append(f"{column} = ${len(params)}")
    if msg.locked_only:
        conditions.append("locked_at IS NOT NULL")
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    async with deps.pool.acquire() as conn:
        await _admin(conn, deps, caller)
        total = await conn.fetchval(f"SELECT count(*) FROM accounts {where}", *params)
        rows = await conn.fetch(
            f"SELECT {_LISTING} FROM accounts {where} ORDER BY family_name, given_name, id "
            f"LIMIT ${len(params) + 1} OFFSET ${len(params) + 2}",
            *params,
            msg.per_page,
            (msg.page - 1) * msg.per_page,
        )
    return api.AccountPage(
        items=[api.AccountListing(**dict(row)) for row in rows], total=total, page=msg.page, per_page=msg.per_page
    )


async def set_status(msg: api.AccountStatus, caller: Caller, deps: Deps) -> api.AccountListing:
    """Deactivate (every session ends now) or reactivate an account."""
    target = opaque_id(msg.id)
    async with deps.outbox.transaction() as conn:
        admin = await _admin(conn, deps, caller)
        if admin.id == str(target):
            raise Conflict("an administrator does not deactivate their own account")
        row = await conn.fetchrow(
            f"UPDATE accounts SET status = $2 WHERE id = $1 AND status IN ('active', 'deactivated') RETURNING {_LISTING}",
            target,
            "active" if msg.active else "deactivated",
        )
        if row is None:
            raise NotFound()
        if not msg.active:
            await store.end_all_sessions(conn, msg.id)
        await trail.record(
            conn,
            "account.reactivated" if msg.active else "account.deactivated",
            by=admin,
            entity=trail.account(str(target)),
        )
    return api.AccountListing(**dict(row))


async def unlock(msg: api.AccountRef, caller: Caller, deps: Deps) -> api.AccountListing:
    """Lift a lock after too many failed logins; the count of failures restarts."""
    target = opaque_id(msg.id)
    async with deps.outbox.transaction() as conn:
        admin = await _admin(conn, deps, caller)
        row = await conn.fetchrow(
            f"UPDATE accounts SET locked_at = NULL, failed_logins = 0 WHERE id = $1 RETURNING {_LISTING}", target
        )
        if row is None:
            raise NotFound()
        await trail.record(conn, "account.unlocked", by=admin, entity=trail.account(str(target)))
    return api.AccountListing(**dict(row))


async def reset_password(msg: api.AccountRef, caller: Caller, deps: Deps) -> api.AccountListing:
    """A new temporary password by email (72 hours); the account's sessions end."""
    return await _new_temporary_password(
        msg,
        caller,
        deps,
        "account.password_reset",
        "password_reset",
        f"SELECT {_LISTING} FROM accounts WHERE id = $1 AND login IS NOT NULL AND status = 'active' FOR UPDATE",
    )


async def reset_app(msg: api.AccountRef, caller: Caller, deps: Deps) -> api.AccountListing:
    """A staff member lost their authenticator app: it is forgotten, their sessions end, and a
    temporary password goes to their email: the next login, with it, enrols a new app (the
    password alone, perhaps what was stolen with the app, does not)."""
    return await _new_temporary_password(
        msg,
        caller,
        deps,
        "account.app_reset",
        "app_reset",
        "UPDATE accounts SET totp_secret = NULL, totp_last_step = 0 WHERE id = $1 AND role <> 'physician' "
        f"AND login IS NOT NULL AND status = 'active' RETURNING {_LISTING}",
    )


async def _new_temporary_password(
    msg: api.AccountRef,
    caller: Caller,
    deps: Deps,
    action: audit.Action,
    reason: TemporaryPasswordReason,
    statement: str,
) -> api.AccountListing:
    """`statement` finds (and holds, or changes) the active account with a login; it gets a new
    temporary password by email, its sessions end, the administrator's act is audited."""
    target = opaque_id(msg.id)
    temporary = await new_temporary_password(deps.passwords)
    async with deps.outbox.transaction() as conn:
        admin = await _admin(conn, deps, caller)
        row = await conn.fetchrow(statement, target)
        if row is None:
            raise NotFound()
        await give_temporary_password(conn, deps, row["id"], temporary, reason)
        await trail.record(conn, action, by=admin, entity=trail.account(str(target)))
    return api.AccountListing(**dict(row))


NEW_MOBILE = control_codes.Kept(  # the fifth wrong code cancels the change
    table="accounts",
    purpose="mobile",
    columns=("pending_mobile_mac", "pending_mobile_sent_at", "pending_mobile_attempts"),
    pending="pending_mobile",
)


async def send_mobile_control(msg: api.MobileControl, caller: Caller, deps: Deps) -> api.AccountListing:
    """A control code to the new number; the number changes only when the code comes back."""
    target = opaque_id(msg.id)
    code = new_code()
    async with deps.outbox.transaction() as conn:
        admin = await _admin(conn, deps, caller)
        row = await conn.fetchrow(
            "UPDATE accounts SET pending_mobile = $2, pending_mobile_mac = $3, pending_mobile_sent_at = now(), "
            f"pending_mobile_attempts = 0 WHERE id = $1 AND status = 'active' RETURNING {_LISTING}, locale",
            target,
            msg.mobile,
            control_codes.mac(deps.settings.data_key, NEW_MOBILE, target, code, msg.mobile),
        )
        if row is None:
            raise NotFound()
        listing = dict(row)
        locale = listing.pop("locale")
        await trail.record(conn, "account.mobile_control_sent", by=admin, entity=trail.account(str(target)))
        await notices.ask(
            conn,
            notify.SendCode(
                to=msg.mobile,
                purpose="mobile_control",
                code=deps.settings.for_notify.seal(code),
                expires_at=datetime.now(UTC) + control_codes.TTL,
                locale=locale,
                account_id=str(target),
            ),
        )
    return api.AccountListing(**listing)


async def confirm_mobile(msg: api.MobileConfirmation, caller: Caller, deps: Deps) -> api.AccountListing:
    """The code read back: the new number replaces the old one (five wrong codes cancel it)."""
    target = opaque_id(msg.id)
    async with deps.outbox.connection() as conn:
        async with conn.transaction():
            admin = await _admin(conn, deps, caller)
            right = await control_codes.check(conn, deps.settings.data_key, NEW_MOBILE, target, msg.code)
            if right:
                await conn.execute(
                    "UPDATE accounts SET mobile = pending_mobile, pending_mobile = NULL, pending_mobile_mac = NULL "
                    "WHERE id = $1",
                    target,
                )
                await trail.record(conn, "mobile.changed", by=admin, entity=trail.account(str(target)))
        if not right:
            raise Unauthenticated("wrong or expired control code")
        updated = await fetch_one(conn, f"SELECT {_LISTING} FROM accounts WHERE id = $1", target)
    return api.AccountListing(**dict(updated))


async def create_staff(msg: api.StaffCreation, caller: Caller, deps: Deps) -> api.AccountListing:
    """A hospital staff member's login, active, with a temporary password by email (72 hours):
    their first login enrols their authenticator app with it, then changes it."""
    temporary = await new_temporary_password(deps.passwords)
    account_id = str(uuid.uuid4())
    account = store.Account(
        id=account_id,
        login=msg.login,
        password_hash=None,
        role=msg.role,
        status="active",
        family_name=msg.family_name,
        given_name=msg.given_name,
        email=msg.email,
        mobile=msg.mobile,
        gln=None,
        rpps=None,
        locale="fr",
        notify_new_documents="none",
    )
    try:
        async with deps.outbox.transaction() as conn:
            admin = await _admin(conn, deps, caller)
            await open_login(conn, deps, account, temporary, "staff_created")
            await trail.record(
                conn,
                "account.created",
                by=admin,
                entity=trail.account(account_id),
                detail=f"staff login, role {msg.role}",
            )
            row = await fetch_one(conn, f"SELECT {_LISTING} FROM accounts WHERE id = $1", uuid.UUID(account_id))
    except asyncpg.UniqueViolationError:
        raise Conflict(api.LOGIN_TAKEN) from None
    return api.AccountListing(**dict(row))


async def unlink_hin(msg: api.AccountRef, caller: Caller, deps: Deps) -> api.AccountListing:
    """A HIN identity no longer opens the account (a wrong link by GLN): its sessions end; the
    next HIN login with the account's GLN links the identity that makes it."""
    target = opaque_id(msg.id)
    async with deps.outbox.transaction() as conn:
        admin = await _admin(conn, deps, caller)
        hin_id = await conn.fetchval("SELECT hin_id FROM accounts WHERE id = $1 FOR UPDATE", target)
        if hin_id is None:
            raise NotFound()
        row = await fetch_one(conn, f"UPDATE accounts SET hin_id = NULL WHERE id = $1 RETURNING {_LISTING}", target)
        await store.end_all_sessions(conn, msg.id)
        await trail.record(
            conn, "account.hin_unlinked", by=admin, entity=trail.account(str(target)), detail=f"HIN id {hin_id}"
        )
    return api.AccountListing(**dict(row))
