"""Identity's handlers: one per subject, typed message in, typed answer out."""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import asyncpg
from nats.aio.client import Client as NATS

from common.bus import call
from common.contracts import audit, identity as api, notify
from common.contracts.physicians import PhysicianRef
from common.errors import NotFound, TooManyRequests, Unauthenticated
from common.outbox import OutboxRelay, enqueue
from common.tokens import Caller, TokenIssuer

from . import login_protection as protection, store
from .config import IdentitySettings
from .passwords import verify_password

log = logging.getLogger(__name__)

AUDIT_SUBJECT = audit.subject_for("identity")
SMS_TEXT = {
    "fr": "Votre code de connexion au portail : {code}. Il expire dans {minutes} minutes.",
    "en": "Your portal login code: {code}. It expires in {minutes} minutes.",
}


@dataclass(frozen=True)
class Deps:
    settings: IdentitySettings
    pool: asyncpg.Pool
    nc: NATS
    issuer: TokenIssuer
    outbox: OutboxRelay


def digest(secret: str) -> bytes:
    """What the database keeps of a secret handed to the browser."""
    return hashlib.sha256(secret.encode()).digest()


def code_mac(handle: str, code: str) -> bytes:
    """The SMS code bound to its login attempt; useless without the handle, which only the cookie holds."""
    return hmac.new(handle.encode(), code.encode(), hashlib.sha256).digest()


def normalise_login(login: str) -> str:
    return login.strip().casefold()


async def _audit(deps: Deps, conn: asyncpg.Connection, record: audit.AuditRecord) -> None:
    await enqueue(conn, AUDIT_SUBJECT, record)


def _actor(account: store.Account | None) -> audit.Party:
    if account is None:
        return audit.Party(kind="anonymous")
    return audit.Party(kind="physician" if account.role == "physician" else "staff", id=account.id)


async def login_password(msg: api.PasswordLogin, deps: Deps) -> api.CodeChallenge:
    """First factor: check the password, then send a fresh SMS code bound to a new challenge.

    Whether the name exists, the account is locked or the password is wrong, the answer and the
    work done are the same (see login_protection for the waits between failures)."""
    login = normalise_login(msg.login)
    throttled = [key for key in (protection.name_key(login), protection.address_key(msg.client_ip)) if key]
    async with deps.pool.acquire() as conn:
        if await protection.waiting(conn, throttled) is not None:
            await _audit_refusal(deps, conn, None, msg.client_ip, "too many failed attempts: waiting")
            raise TooManyRequests("too many failed attempts; try again later")
        account = await store.account_by_login(conn, login)
    password_ok = await verify_password(account.password_hash if account else None, msg.password)
    usable = account is not None and password_ok and account.status == "active" and bool(account.mobile)
    if not usable or account is None or account.locked:
        async with deps.pool.acquire() as conn, conn.transaction():
            await protection.record_failure(conn, login, msg.client_ip)
            locked_now = account is not None and await protection.count_account_failure(conn, account.id)
            detail = "unknown login name" if account is None else ("account locked" if account.locked else "invalid credentials")
            await _audit_refusal(deps, conn, account, msg.client_ip, detail)
            if locked_now:
                await _audit(deps, conn, audit.AuditRecord(
                    action="account.locked", outcome="success", actor=audit.Party(kind="system"),
                    entity=audit.Entity(kind="account", id=account.id),  # type: ignore[union-attr]
                    detail=f"{protection.LOCK_AFTER_FAILURES} consecutive failed logins",
                ))
        deps.outbox.wake()
        raise Unauthenticated("invalid credentials")
    assert account.mobile is not None

    handle = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(10**6):06d}"
    expires_at = datetime.now(timezone.utc) + timedelta(seconds=deps.settings.sms_code_ttl_seconds)
    text = SMS_TEXT.get(account.locale, SMS_TEXT["fr"]).format(
        code=code, minutes=deps.settings.sms_code_ttl_seconds // 60
    )
    async with deps.pool.acquire() as conn:
        await protection.record_success(conn, login, account.id)
        # The account's row is held while its codes are counted and the new one is sent: two
        # attempts at once cannot both be the third. A failed send rolls the challenge back.
        async with conn.transaction():
            await store.lock_account(conn, account.id)
            too_many = await protection.codes_sent_lately(conn, account.id) >= protection.SMS_PER_WINDOW
            if not too_many:
                await store.close_open_challenges(conn, account.id)
                await store.insert_challenge(conn, digest(handle), account.id, code_mac(handle, code), expires_at)
                await _audit(
                    deps,
                    conn,
                    audit.AuditRecord(
                        action="login.password",
                        outcome="success",
                        actor=_actor(account),
                        entity=audit.Entity(kind="account", id=account.id),
                        client_ip=msg.client_ip or None,
                        detail="SMS code sent",
                    ),
                )
                await call(deps.nc, notify.SEND_SMS, notify.SendSms(to=account.mobile, text=text), notify.SmsAccepted)
        if too_many:
            await _audit_refusal(deps, conn, account, msg.client_ip, "too many SMS codes asked")
            raise TooManyRequests("too many codes asked; try again later")
    deps.outbox.wake()
    return api.CodeChallenge(challenge=handle, expires_at=expires_at)


async def _audit_refusal(
    deps: Deps, conn: asyncpg.Connection, account: store.Account | None, client_ip: str, detail: str
) -> None:
    await _audit(deps, conn, audit.AuditRecord(
        action="login.password", outcome="failure", actor=_actor(account), client_ip=client_ip or None, detail=detail
    ))
    deps.outbox.wake()


async def login_code(msg: api.CodeLogin, deps: Deps) -> api.SessionOpened:
    """Second factor: a right, unexpired, unused code opens a new session; wrong codes are counted."""
    handle_hash = digest(msg.challenge)
    session_secret = secrets.token_urlsafe(32)
    session_id = str(uuid.uuid4())
    async with deps.pool.acquire() as conn, conn.transaction():
        challenge = await store.lock_open_challenge(conn, handle_hash)
        code_ok = challenge is not None and hmac.compare_digest(challenge.code_mac, code_mac(msg.challenge, msg.code))
        if challenge is not None and code_ok:
            await store.close_challenge(conn, handle_hash)
            await store.insert_session(conn, session_id, digest(session_secret), challenge.account_id, msg.client_ip)
        elif challenge is not None:
            await store.record_wrong_code(conn, handle_hash, deps.settings.sms_code_max_attempts)
        await _audit(
            deps,
            conn,
            audit.AuditRecord(
                action="login.code",
                outcome="success" if code_ok else "failure",
                actor=audit.Party(kind="physician", id=challenge.account_id) if challenge else audit.Party(kind="anonymous"),
                entity=audit.Entity(kind="session", id=session_id) if code_ok else None,
                client_ip=msg.client_ip or None,
                detail="" if code_ok else ("wrong code" if challenge else "unknown, used or expired challenge"),
            ),
        )
    deps.outbox.wake()
    if not code_ok:
        raise Unauthenticated("invalid or expired code")
    return api.SessionOpened(session=session_secret, idle_timeout_seconds=deps.settings.session_idle_seconds)


async def resolve_session(msg: api.SessionRef, deps: Deps) -> api.ResolvedSession:
    """A live session gets a fresh short-lived token for the services; anything else is refused."""
    async with deps.pool.acquire() as conn:
        found = await store.touch_live_session(
            conn,
            digest(msg.session),
            deps.settings.session_idle_seconds,
            deps.settings.session_absolute_seconds,
            msg.touch,
        )
    if found is None:
        raise Unauthenticated("no such session")
    session_id, account = found
    token, expires_at = deps.issuer.issue(
        Caller(account_id=account.id, role=account.role, session_id=session_id, physician=account.physician_key)  # type: ignore[arg-type]
    )
    return api.ResolvedSession(
        token=token,
        expires_at=expires_at,
        account=api.AccountSummary(
            id=account.id,
            display_name=account.display_name,
            role=account.role,  # type: ignore[arg-type]
            locale=account.locale,
            documents_scope=account.documents_scope,  # type: ignore[arg-type]
            patients_scope=account.patients_scope,  # type: ignore[arg-type]
        ),
    )


async def end_session(msg: api.SessionRef, deps: Deps) -> api.Empty:
    async with deps.pool.acquire() as conn, conn.transaction():
        account_id = await store.end_session(conn, digest(msg.session))
        if account_id is not None:
            await _audit(
                deps,
                conn,
                audit.AuditRecord(action="logout", outcome="success", actor=audit.Party(kind="physician", id=account_id)),
            )
    deps.outbox.wake()
    return api.Empty()


async def _account_for(physician: str, deps: Deps) -> store.Account | None:
    try:
        ref = PhysicianRef.from_key(physician)
    except ValueError:
        return None
    kind, number = ("gln", ref.gln) if ref.gln else ("rpps", ref.rpps)
    async with deps.pool.acquire() as conn:
        return await store.account_by_physician(conn, kind, number)  # type: ignore[arg-type]


async def physician_status(msg: api.PhysicianLookup, deps: Deps) -> api.PhysicianStatus:
    """For the documents service: is this GLN/RPPS a known physician with an activated account?"""
    account = await _account_for(msg.physician, deps)
    if account is None or account.role != "physician":
        return api.PhysicianStatus(known=False, activated=False)
    return api.PhysicianStatus(known=True, activated=account.status == "active", account_id=account.id)


async def contact(msg: api.ContactLookup, deps: Deps) -> api.Contact:
    """For the notify service: where and how to tell a physician about something new."""
    account = await _account_for(msg.physician, deps)
    if account is None:
        raise NotFound()
    return api.Contact(
        account_id=account.id,
        email=account.email,
        display_name=account.display_name,
        locale=account.locale,
        notify_new_documents=account.notify_new_documents,  # type: ignore[arg-type]
    )

