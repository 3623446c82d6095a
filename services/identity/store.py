"""Identity's SQL: accounts and sessions (SMS code attempts: codes.py)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import asyncpg

from common.contracts.accounts import AccountState
from common.contracts.base import Role
from common.contracts.documents import DocumentsScope, PatientsScope
from common.contracts.identity import LandingPage, NotifyMode, SeenDevice
from common.db import Connection

from . import session_ends


@dataclass(frozen=True)
class Account:
    id: str
    login: str | None
    password_hash: str | None
    role: Role
    status: AccountState
    family_name: str
    given_name: str
    email: str
    mobile: str | None
    gln: str | None
    rpps: str | None
    locale: str
    notify_new_documents: NotifyMode
    patients_scope: PatientsScope = "all"
    documents_scope: DocumentsScope = "all"
    must_change_password: bool = False  # a temporary password: changed before anything else
    landing_page: LandingPage = "documents"
    profile_to_confirm: bool = False  # a new physician confirms the profile before anything else
    locked: bool = False  # after too many failed logins, until an administrator unlocks it
    app_enrolled: bool = False  # staff: an authenticator app gives the second factor
    temporary_expired: bool = False  # a temporary password older than 72 hours

    @property
    def is_staff(self) -> bool:
        return self.role != "physician"

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def physician_key(self) -> str | None:
        if self.gln:
            return f"gln:{self.gln}"
        return f"rpps:{self.rpps}" if self.rpps else None


def _account(row: asyncpg.Record | None) -> Account | None:
    if row is None:
        return None
    return Account(**{**dict(row), "id": str(row["id"])})


_ACCOUNT_COLUMNS = (
    "id, login, password_hash, role, status, family_name, given_name, email, mobile, gln, rpps, locale, "
    "notify_new_documents, patients_scope, documents_scope, must_change_password, landing_page"
)
_SESSION_ACCOUNT_COLUMNS = ", ".join("a." + column.strip() for column in _ACCOUNT_COLUMNS.split(","))
"""The account's columns as a session's query reads them (`a` is accounts)."""


def digest(secret: str) -> bytes:
    """What the database keeps of a secret handed to the browser."""
    return hashlib.sha256(secret.encode()).digest()


def like_escaped(text: str) -> str:
    """Typed text for a LIKE pattern: its % and _ are letters, not wildcards."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_ACCOUNT_SELECT = (
    f"SELECT {_ACCOUNT_COLUMNS}, locked_at IS NOT NULL AS locked, totp_secret IS NOT NULL AS app_enrolled, "
    "coalesce(temporary_password_expires_at < now(), false) AS temporary_expired FROM accounts"
)


async def account_by_login(conn: Connection, login: str) -> Account | None:
    return _account(await conn.fetchrow(f"{_ACCOUNT_SELECT} WHERE login = $1", login))


async def account_by_id(conn: Connection, account_id: str) -> Account | None:
    return _account(await conn.fetchrow(f"{_ACCOUNT_SELECT} WHERE id = $1", uuid.UUID(account_id)))


async def accounts_by_email(conn: Connection, email: str, limit: int = 5) -> list[Account]:
    """The accounts with this email address, whatever its case (an address is not unique)."""
    rows = await conn.fetch(
        f"{_ACCOUNT_SELECT} WHERE lower(email) = lower($1) ORDER BY created_at LIMIT $2", email, limit
    )
    return [account for row in rows if (account := _account(row)) is not None]


async def account_by_physician(conn: Connection, kind: str, number: str) -> Account | None:
    column = {"gln": "gln", "rpps": "rpps"}[kind]
    return _account(await conn.fetchrow(f"{_ACCOUNT_SELECT} WHERE {column} = $1", number))


async def insert_account(conn: Connection, account: Account) -> None:
    await conn.execute(
        f"INSERT INTO accounts ({_ACCOUNT_COLUMNS}) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        uuid.UUID(account.id),
        account.login,
        account.password_hash,
        account.role,
        account.status,
        account.family_name,
        account.given_name,
        account.email,
        account.mobile,
        account.gln,
        account.rpps,
        account.locale,
        account.notify_new_documents,
        account.patients_scope,
        account.documents_scope,
        account.must_change_password,
        account.landing_page,
    )


PHYSICIAN_NUMBER = "CASE WHEN gln IS NOT NULL THEN 'gln:' || gln WHEN rpps IS NOT NULL THEN 'rpps:' || rpps END"
"""SQL: a row's GLN or RPPS number as the bus names a physician (gln:... or rpps:...)."""


# Every statement that ends sessions is below, and each tells the gateways (session_ends).


async def end_all_sessions(conn: Connection, account_id: str) -> None:
    """End every open session of the account (deactivation, a new password or app given by an administrator)."""
    ended = await conn.fetch(
        "UPDATE sessions SET ended_at = now() WHERE account_id = $1 AND ended_at IS NULL RETURNING id",
        uuid.UUID(account_id),
    )
    session_ends.note(account_id, [str(row["id"]) for row in ended])


async def end_other_sessions(conn: Connection, account_id: str, kept_session_id: str) -> None:
    """End every open session of the account but `kept_session_id`."""
    ended = await conn.fetch(
        "UPDATE sessions SET ended_at = now() WHERE account_id = $1 AND id <> $2 AND ended_at IS NULL RETURNING id",
        uuid.UUID(account_id),
        uuid.UUID(kept_session_id),
    )
    session_ends.note(account_id, [str(row["id"]) for row in ended])


async def end_one_session(conn: Connection, account_id: str, session_id: uuid.UUID) -> bool:
    """End one open session of the account (from another of its sessions); False if there is none such."""
    ended = await conn.fetchval(
        "UPDATE sessions SET ended_at = now() WHERE id = $1 AND account_id = $2 AND ended_at IS NULL RETURNING id",
        session_id,
        uuid.UUID(account_id),
    )
    if ended is not None:
        session_ends.note(account_id, [str(ended)])
    return ended is not None


async def lock_account(conn: Connection, account_id: str) -> None:
    """Hold the account's row until the transaction ends."""
    await conn.execute("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", uuid.UUID(account_id))


LoginMethod = Literal["sms", "app", "hin"]


async def open_session(
    conn: Connection, account_id: str, client_ip: str, method: LoginMethod, seen: SeenDevice
) -> tuple[str, str, datetime | None]:
    """A new session for a login that just succeeded (by `method`, from the browser and system
    `seen`): its id, its secret for the browser's cookie (256 random bits, new at each login; the
    table keeps only its hash), and when the account's previous session opened (its last login;
    None: this is its first)."""
    session_id, secret = str(uuid.uuid4()), secrets.token_urlsafe(32)
    previous = await conn.fetchval("SELECT max(created_at) FROM sessions WHERE account_id = $1", uuid.UUID(account_id))
    await conn.execute(
        "INSERT INTO sessions (id, secret_hash, account_id, client_ip, login_method, browser, system) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        uuid.UUID(session_id),
        digest(secret),
        uuid.UUID(account_id),
        client_ip,
        method,
        seen.browser,
        seen.system,
    )
    return session_id, secret, previous


TOUCH_EVERY_SECONDS = 30
"""A session's last activity is written at most this often: the idle timeout is that precise."""


async def touch_live_session(
    conn: Connection, secret_hash: bytes, idle_seconds: int, absolute_seconds: int, touch: bool = True
) -> tuple[str, Account] | None:
    """The session (by its secret) and its active account if the session is alive; its idle clock
    restarts if `touch`."""
    return await _live_session(conn, "s.secret_hash", secret_hash, idle_seconds, absolute_seconds, touch)


async def live_session(
    conn: Connection, session_id: str, idle_seconds: int, absolute_seconds: int
) -> tuple[str, Account] | None:
    """The session (by its id, from a verified token) and its active account if the session is
    still alive: a token outlives neither its session nor its account."""
    return await _live_session(conn, "s.id", uuid.UUID(session_id), idle_seconds, absolute_seconds, touch=False)


async def _live_session(
    conn: Connection,
    column: Literal["s.secret_hash", "s.id"],
    value: bytes | uuid.UUID,
    idle_seconds: int,
    absolute_seconds: int,
    touch: bool,
) -> tuple[str, Account] | None:
    row = await conn.fetchrow(
        "WITH live AS ("
        f" SELECT s.id AS session_id, {_SESSION_ACCOUNT_COLUMNS}, "
        " a.role = 'physician' AND a.profile_confirmed_at IS NULL AS profile_to_confirm FROM sessions s"
        " JOIN accounts a ON a.id = s.account_id"
        f" WHERE {column} = $1 AND s.ended_at IS NULL AND a.status = 'active'"
        " AND s.last_seen_at > now() - make_interval(secs => $2)"
        " AND s.created_at > now() - make_interval(secs => $3)"
        "), touched AS ("
        " UPDATE sessions SET last_seen_at = now() WHERE id = (SELECT session_id FROM live)"
        " AND last_seen_at < now() - make_interval(secs => $4) AND $5"
        ") SELECT * FROM live",
        value,
        idle_seconds,
        absolute_seconds,
        TOUCH_EVERY_SECONDS,
        touch,
    )
    if row is None:
        return None
    values = dict(row)
    session_id = str(values.pop("session_id"))
    return session_id, Account(**{**values, "id": str(values["id"])})


async def end_session(conn: Connection, secret_hash: bytes) -> tuple[str, Role] | None:
    """End a session; return its account's id and role if it was open."""
    row = await conn.fetchrow(
        "UPDATE sessions s SET ended_at = now() FROM accounts a WHERE s.secret_hash = $1 AND s.ended_at IS NULL "
        "AND a.id = s.account_id RETURNING s.id AS session_id, a.id, a.role",
        secret_hash,
    )
    if row is None:
        return None
    session_ends.note(str(row["id"]), [str(row["session_id"])])
    return str(row["id"]), row["role"]
