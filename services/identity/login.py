"""Logging in with a password and a second factor (an SMS code; staff: their authenticator app),
the session that opens, its resolution for each request, and its end."""

from __future__ import annotations

import uuid

from common.contracts import identity as api
from common.contracts.base import Empty
from common.contracts.phones import masked_mobile
from common.db import Connection
from common.errors import TooManyRequests, Unauthenticated
from common.tokens import Caller

from . import authenticator, codes, store, trail
from . import login_protection as protection
from .deps import Deps
from .store import digest


def normalise_login(login: str) -> str:
    return login.strip().casefold()


async def login_password(msg: api.PasswordLogin, deps: Deps) -> api.CodeChallenge:
    """First factor: check the password, then send a fresh SMS code bound to a new challenge.

    Whether the name exists, the account is locked or the password is wrong, the answer and the
    work done are the same (see login_protection for the waits between failures)."""
    login = normalise_login(msg.login)
    # A browser that logged in as this name before is counted on its own, and no lock stops it.
    device = protection.device_of(msg.device, login, deps.settings.data_key)
    async with deps.outbox.connection() as conn:
        if not await protection.reserve(conn, login, msg.client_ip, deps.settings.data_key, device):
            await trail.record(
                conn,
                "login.password",
                by=None,
                outcome="failure",
                client_ip=msg.client_ip,
                detail="too many failed attempts: waiting",
            )
            raise TooManyRequests("too many failed attempts; try again later")
        account = await store.account_by_login(conn, login)
    password_ok = await deps.passwords.verify(account.password_hash if account else None, msg.password)
    # Physicians get their code by SMS; staff from their authenticator app.
    usable = (
        account is not None
        and password_ok
        and account.status == "active"
        and (account.is_staff or bool(account.mobile))
        and not (account.must_change_password and account.temporary_expired)
    )
    locked = account is not None and account.locked and device is None
    if not usable or account is None or locked:
        async with deps.outbox.transaction() as conn:
            detail = (
                "unknown login name" if account is None else ("account locked" if locked else "invalid credentials")
            )
            await trail.record(
                conn, "login.password", by=account, outcome="failure", client_ip=msg.client_ip, detail=detail
            )
            if account is not None and device is None:  # a known browser's failures are its own
                await count_account_failure(conn, account.id)
        raise Unauthenticated("invalid credentials")
    if account.is_staff:
        return await _app_attempt(deps, account, msg.client_ip)

    async with deps.outbox.connection() as conn:
        return await _send_code(conn, deps, account, msg.client_ip, "SMS code sent")


async def _send_code(
    conn: Connection, deps: Deps, account: store.Account, client_ip: str, detail: str
) -> api.CodeChallenge:
    """A login's SMS code to the account's mobile (a new attempt), within the limit; audited."""
    try:
        issued = await codes.issue(conn, deps.settings, account, "login")
    except TooManyRequests:
        await trail.record(
            conn,
            "login.password",
            by=account,
            outcome="failure",
            client_ip=client_ip,
            detail="too many SMS codes asked",
        )
        raise
    await trail.record(
        conn, "login.password", by=account, entity=trail.account(account.id), client_ip=client_ip, detail=detail
    )
    return api.CodeChallenge(challenge=issued.handle, expires_at=issued.expires_at)


async def _waiting_attempt(conn: Connection, challenge: str) -> store.Account:
    """The account of a login attempt still waiting for its SMS code; Unauthenticated otherwise."""
    account_id = await conn.fetchval(
        "SELECT account_id FROM login_challenges WHERE handle_hash = $1 AND purpose = 'login' AND closed_at IS NULL",
        digest(challenge),
    )
    account = None if account_id is None else await store.account_by_id(conn, str(account_id))
    if account is None or account.status != "active" or not account.mobile:
        raise Unauthenticated("invalid or expired code")
    return account


async def login_code_sent(msg: api.LoginAttempt, deps: Deps) -> api.CodeSent:
    """The code's page: where the SMS went (masked), and when another may be asked for."""
    async with deps.pool.acquire() as conn:
        account = await _waiting_attempt(conn, msg.challenge)
        resend_at = await protection.next_code_at(conn, account.id)
    return api.CodeSent(mobile_hint=masked_mobile(account.mobile or ""), resend_at=resend_at)


async def resend_login_code(msg: api.LoginAttempt, deps: Deps) -> api.CodeChallenge:
    """ "Renvoyer le code": a new code for the attempt's account, within the SMS limit; the new
    attempt replaces the old (whose code no longer works)."""
    async with deps.outbox.connection() as conn:
        account = await _waiting_attempt(conn, msg.challenge)
        return await _send_code(conn, deps, account, msg.client_ip, "SMS code sent again")


async def _app_attempt(deps: Deps, account: store.Account, client_ip: str) -> api.CodeChallenge:
    """Staff: the code comes from their authenticator app, enrolled now if it is not yet."""
    async with deps.outbox.connection() as conn:
        if (
            await protection.attempts_lately(conn, account.id, protection.APP_PURPOSES)
            >= protection.APP_ATTEMPTS_PER_WINDOW
        ):
            await trail.record(
                conn,
                "login.password",
                by=account,
                outcome="failure",
                client_ip=client_ip,
                detail="too many authenticator app attempts",
            )
            raise TooManyRequests("too many attempts; try again later")
        attempt = await authenticator.open_attempt(
            conn, account, account.app_enrolled, deps.settings.sms_code_ttl_seconds, deps.sealer
        )
        await trail.record(
            conn,
            "login.password",
            by=account,
            entity=trail.account(account.id),
            client_ip=client_ip,
            detail="authenticator app code asked" if account.app_enrolled else "authenticator app enrolment",
        )
    return api.CodeChallenge(
        challenge=attempt.handle,
        expires_at=attempt.expires_at,
        method="app" if account.app_enrolled else "app_enrolment",
        enrolment_uri=attempt.enrolment_uri,
    )


async def count_account_failure(conn: Connection, account_id: str) -> None:
    """One more consecutive failure; the 100th locks the account (audited)."""
    if await protection.count_account_failure(conn, account_id):
        await trail.record(
            conn,
            "account.locked",
            by=trail.SYSTEM,
            entity=trail.account(account_id),
            detail=f"{protection.LOCK_AFTER_FAILURES} consecutive failed logins",
        )


async def login_code(msg: api.CodeLogin, deps: Deps) -> api.SessionOpened:
    """Second factor: a right, unexpired, unused code opens a new session; wrong codes are counted."""
    async with deps.outbox.transaction() as conn:
        by_app = await authenticator.attempt_kind(conn, msg.challenge) in ("app", "app_enrolment")
        if by_app:
            checked = await authenticator.check(
                conn, msg.challenge, msg.code, deps.settings.sms_code_max_attempts, deps.sealer
            )
        else:
            checked = await codes.check(conn, msg.challenge, msg.code, "login", deps.settings.sms_code_max_attempts)
        owner = (
            None
            if checked.account_id is None
            else await conn.fetchrow("SELECT login, role FROM accounts WHERE id = $1", uuid.UUID(checked.account_id))
        )
        if checked.ok:
            assert checked.account_id is not None and owner is not None
            session_id, session_secret, previous = await store.open_session(
                conn, checked.account_id, msg.client_ip, "app" if by_app else "sms", msg.seen
            )
            login = owner["login"] or ""
            device = protection.device_of(msg.device, login, deps.settings.data_key)
            if await protection.record_success(
                conn, login, checked.account_id, msg.client_ip, deps.settings.data_key, device
            ):
                await trail.record(
                    conn,
                    "account.unlocked",
                    by=trail.actor(checked.account_id, owner["role"]),
                    entity=trail.account(checked.account_id),
                    client_ip=msg.client_ip,
                    detail="by logging in from a known browser",
                )
        elif checked.account_id is not None:  # a wrong second factor counts towards the lock
            await count_account_failure(conn, checked.account_id)
        await trail.record(
            conn,
            "login.code",
            by=trail.actor(checked.account_id, owner["role"] if owner else None),
            entity=trail.session(session_id) if checked.ok else None,
            outcome="success" if checked.ok else "failure",
            client_ip=msg.client_ip,
            detail="" if checked.ok else ("wrong code" if checked.account_id else "unknown, used or expired challenge"),
        )
    if not checked.ok:
        raise Unauthenticated("invalid or expired code")
    return api.SessionOpened(
        session=session_secret,
        idle_timeout_seconds=deps.settings.session_idle_seconds,
        previous_login_at=previous,
        device=protection.device_token(login, deps.settings.data_key) if login else "",
    )


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
        raise Unauthenticated(await _why_dead(deps, msg.session))
    session_id, account = found
    token, expires_at = deps.issuer.issue(
        Caller(
            account_id=account.id,
            role=account.role,
            session_id=session_id,
            physician=account.physician_key,
            login=account.login,
        )
    )
    return api.ResolvedSession(
        session_id=session_id,
        token=token,
        expires_at=expires_at,
        account=api.AccountSummary(
            id=account.id,
            display_name=account.display_name,
            role=account.role,
            locale=account.locale,
            documents_scope=account.documents_scope,
            patients_scope=account.patients_scope,
            must_change_password=account.must_change_password,
            profile_to_confirm=account.profile_to_confirm,
            landing_page=account.landing_page,
            hin_only=account.password_hash is None,
        ),
    )


async def _why_dead(deps: Deps, handle: str) -> str:
    """Why a handle names no live session: none such, left idle past the timeout, or ended otherwise."""
    async with deps.pool.acquire() as conn:
        idle = await conn.fetchval(
            "SELECT ended_at IS NULL AND last_seen_at <= now() - make_interval(secs => $2) "
            "AND created_at > now() - make_interval(secs => $3) FROM sessions WHERE secret_hash = $1",
            digest(handle),
            deps.settings.session_idle_seconds,
            deps.settings.session_absolute_seconds,
        )
    if idle is None:
        return "no such session"
    return api.SESSION_IDLE if idle else api.SESSION_CLOSED


async def end_session(msg: api.SessionRef, deps: Deps) -> Empty:
    async with deps.outbox.transaction() as conn:
        ended = await store.end_session(conn, digest(msg.session))
        if ended is not None:  # a staff member's logout is a staff member's
            await trail.record(conn, "logout", by=trail.actor(*ended))
    return Empty()
