"""F5.3 step 3: an administrator creates the login of a validated request. The physician's
account is created active, with a temporary password sent by email, valid 72 hours, to be
changed at the first login before anything else."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field

import asyncpg

from common.contracts import notifications as notify
from common.contracts import registration as api
from common.contracts.accounts import LOGIN_TAKEN
from common.contracts.identity import account_language
from common.contracts.notifications import TemporaryPasswordReason
from common.db import Connection, fetch_one
from common.errors import Conflict, NotFound
from common.tokens import Caller

from . import notices, store, trail
from .access import opaque_id, staff_account
from .applications import enrol_from_registration
from .deps import Deps
from .passwords import Passwords
from .validation import detail

TEMPORARY_PASSWORD_HOURS = 72
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no l/1, o/0: typed from an email


def temporary_password() -> str:
    """20 random characters in groups of 5 (about 100 bits), easy to type from an email."""
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(20))
    return "-".join(raw[i : i + 5] for i in range(0, 20, 5))


@dataclass(frozen=True)
class TemporaryPassword:
    """A new temporary password and its hash, made before the transaction that gives it (hashing
    takes its time on purpose)."""

    password: str = field(repr=False)
    password_hash: str = field(repr=False)


async def new_temporary_password(passwords: Passwords) -> TemporaryPassword:
    """A temporary password to give, hashed already."""
    password = temporary_password()
    return TemporaryPassword(password, await passwords.hash(password))


async def give_temporary_password(
    conn: Connection, deps: Deps, account_id: str, temporary: TemporaryPassword, reason: TemporaryPasswordReason
) -> None:
    """In the caller's transaction: the account's password becomes a temporary one (72 hours, to be
    changed at the next login), its sessions end, and notify is asked to email the password to the
    account's address (it goes once the transaction committed)."""
    account = await fetch_one(
        conn,
        "UPDATE accounts SET password_hash = $2, must_change_password = true, "
        "temporary_password_expires_at = now() + make_interval(hours => $3) WHERE id = $1 "
        "RETURNING login, email, locale",
        uuid.UUID(account_id),
        temporary.password_hash,
        TEMPORARY_PASSWORD_HOURS,
    )
    await store.end_all_sessions(conn, account_id)
    await notices.ask(
        conn,
        notify.SendTemporaryPassword(
            to=account["email"],
            reason=reason,
            login=account["login"],
            password=deps.settings.for_notify.seal(temporary.password),
            valid_hours=TEMPORARY_PASSWORD_HOURS,
            locale=account["locale"] or "fr",
            account_id=str(account_id),
        ),
    )


async def open_login(
    conn: Connection, deps: Deps, account: store.Account, temporary: TemporaryPassword, reason: TemporaryPasswordReason
) -> None:
    """In the caller's transaction: a new account, and by email the temporary password of its first
    login. One transaction: if the email cannot go, no account exists without its password."""
    await store.insert_account(conn, account)
    await give_temporary_password(conn, deps, account.id, temporary, reason)


async def create_login(msg: api.LoginCreation, caller: Caller, deps: Deps) -> api.RequestDetail:
    temporary = await new_temporary_password(deps.passwords)
    async with deps.outbox.connection() as conn:
        try:
            async with conn.transaction():
                admin = await staff_account(conn, deps, caller, ("admin",))
                row = await conn.fetchrow(
                    "SELECT * FROM registration_requests WHERE id = $1 FOR UPDATE", opaque_id(msg.id)
                )
                if row is None:
                    raise NotFound()
                if row["state"] != "validated":
                    raise Conflict("the request's identity is not validated, or its login exists")
                account_id = str(uuid.uuid4())
                await open_login(
                    conn,
                    deps,
                    store.Account(
                        id=account_id,
                        login=msg.login,
                        password_hash=None,
                        role="physician",
                        status="active",
                        family_name=row["family_name"],
                        given_name=row["given_name"],
                        email=row["email"],
                        mobile=row["mobile"],
                        gln=row["gln"],
                        rpps=row["rpps"],
                        locale=account_language(row["locale"]),  # the registration form's, at first
                        notify_new_documents="each",
                        must_change_password=True,
                    ),
                    temporary,
                    "login_created",
                )
                await conn.execute(
                    "UPDATE registration_requests SET state = 'login_created', login = $2, login_created_by = $3, "
                    "login_created_by_name = $4, login_created_at = now(), account_id = $5 WHERE id = $1",
                    opaque_id(msg.id),
                    msg.login,
                    uuid.UUID(admin.id),
                    admin.display_name,
                    uuid.UUID(account_id),
                )
                await trail.record(
                    conn, "registration.login_created", by=admin, entity=trail.registration(str(opaque_id(msg.id)))
                )
                if row["screening_access"]:
                    await enrol_from_registration(conn, account_id)
        except asyncpg.UniqueViolationError as exc:
            taken = "login" in (exc.constraint_name or "")
            raise Conflict(LOGIN_TAKEN if taken else "an account already exists for this GLN or RPPS number") from None
    return await detail(api.RequestRef(id=msg.id), caller, deps)
