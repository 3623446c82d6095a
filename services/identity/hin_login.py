"""F5.1 HIN login: OAuth 2.0 authorization code with PKCE (S256), by authlib's client.

Identity owns the whole exchange: it makes the state and the code verifier, keeps them for ten
minutes bound to the browser that asked (the hash of a secret in that browser's cookie), trades
HIN's code once for a token at HIN's token endpoint with the portal's client secret and the exact
redirect URI, and reads the identity at HIN's user-info endpoint. Only personal identities log
in; the first login creates the physician's account, or links the SMS account with the same GLN
(its owner is told by SMS). This trusts HIN's `gln` claim as HIN's own verified attribute of the
person, which is what HIN's personal identities are. An account locked after failed passwords
still opens with HIN: the lock stops password guessing, and HIN is another authenticator.

Nothing here logs claims, codes, states or tokens.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import ssl
import uuid
from datetime import datetime
from typing import Literal

import asyncpg
import httpx2
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError

from common.contracts import identity as api
from common.contracts import notifications as notify
from common.contracts.accounts import Name
from common.contracts.physicians import Gln
from common.db import Connection
from common.errors import NotFound, TooManyRequests

from . import login_protection as protection
from . import notices, store, trail
from .config import HinSettings
from .deps import Deps
from .store import digest

log = logging.getLogger(__name__)

ATTEMPT_SECONDS = 600  # from the click on "HIN" to HIN's return
HTTP_TIMEOUT_SECONDS = 5
EXCHANGE_DEADLINE_SECONDS = 12
"""The whole exchange with HIN (token, then user-info) ends within this; the gateway waits longer
(FINISH_TIMEOUT_SECONDS), so that no session is ever opened for a browser that stopped waiting."""


class HinIdentity(BaseModel):
    """What HIN's user-info endpoint says of the person who logged in."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    sub: str = Field(min_length=1, max_length=200, description="the HIN id")
    gln: Gln
    hin_identity_type: Literal["personal", "practice"]
    given_name: Name
    family_name: Name
    email: EmailStr = Field(max_length=254)


def _settings(deps: Deps) -> HinSettings:
    if deps.settings.hin is None:
        raise NotFound("HIN login is not configured")
    return deps.settings.hin


def _client(hin: HinSettings, tls: ssl.SSLContext | None) -> AsyncOAuth2Client:
    """authlib's client for one login (it holds that login's token)."""
    return AsyncOAuth2Client(
        hin.client_id,
        hin.client_secret,
        scope=hin.scope,
        redirect_uri=hin.redirect_uri,
        code_challenge_method="S256",
        timeout=HTTP_TIMEOUT_SECONDS,
        verify=tls if tls is not None else True,
    )


async def begin(msg: api.HinBegin, deps: Deps) -> api.HinRedirect:
    """A new attempt: HIN's authorization URL with a fresh state and PKCE challenge."""
    hin = _settings(deps)
    state, verifier = secrets.token_urlsafe(32), generate_token(64)
    async with _client(hin, deps.hin_tls) as client:
        url, _ = client.create_authorization_url(hin.authorize_url, state=state, code_verifier=verifier)
    async with deps.pool.acquire() as conn:
        if not await protection.reserve_hin_attempt(conn, msg.client_ip):
            raise TooManyRequests("too many HIN logins started from this address; try again later")
        expires_at: datetime = await conn.fetchval(
            "INSERT INTO hin_attempts (state_hash, browser_hash, code_verifier, client_ip, expires_at) "
            "VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) RETURNING expires_at",
            digest(state),
            digest(msg.browser),
            verifier,
            msg.client_ip,
            ATTEMPT_SECONDS,
        )
    return api.HinRedirect(url=url, expires_at=expires_at)


async def finish(msg: api.HinReturn, deps: Deps) -> api.HinOutcome:
    """HIN sent the browser back: close the attempt, trade the code, open a session (or say why not)."""
    hin = _settings(deps)
    async with deps.pool.acquire() as conn:
        verifier = await conn.fetchval(
            "UPDATE hin_attempts SET finished_at = now() WHERE state_hash = $1 AND browser_hash = $2 "
            "AND finished_at IS NULL AND expires_at > now() RETURNING code_verifier",
            digest(msg.state),
            digest(msg.browser),
        )
    if verifier is None:
        return await _refused(deps, "failed", "unknown, used or expired state, or another browser", msg.client_ip)
    if msg.error or not msg.code:
        return await _refused(deps, "cancelled", "HIN answered without a code", msg.client_ip)
    person = await _identity(hin, deps.hin_tls, msg.code, verifier)
    if person is None:
        return await _refused(deps, "failed", "code exchange or user-info refused", msg.client_ip)
    if person.hin_identity_type != "personal":
        return await _refused(deps, "practice_identity", "a practice's shared HIN identity", msg.client_ip)
    for _ in range(2):  # two first logins of one identity at once: the second finds the first's account
        try:
            return await _open_session(deps, person, msg.client_ip, msg.locale, msg.seen)
        except asyncpg.UniqueViolationError:
            continue
    return await _refused(deps, "failed", "account creation raced", msg.client_ip)


async def _identity(hin: HinSettings, tls: ssl.SSLContext | None, code: str, verifier: str) -> HinIdentity | None:
    """Trade the code for a token, then read the identity; None if HIN refuses, answers nonsense
    or does not answer in time."""
    try:
        async with asyncio.timeout(EXCHANGE_DEADLINE_SECONDS), _client(hin, tls) as client:
            await client.fetch_token(hin.token_url, grant_type="authorization_code", code=code, code_verifier=verifier)
            answer = await client.get(hin.userinfo_url)
            answer.raise_for_status()
            return HinIdentity.model_validate(answer.json())
    except OAuthError as exc:
        log.warning("HIN refused the code: %s", exc.error)
    except httpx2.HTTPError as exc:
        log.warning("HIN could not be reached or refused: %s", type(exc).__name__)
    except (ValidationError, ValueError):
        log.warning("HIN's user-info answer is not a usable identity")
    except TimeoutError:
        log.warning("HIN did not answer within %s s", EXCHANGE_DEADLINE_SECONDS)
    return None


async def _open_session(
    deps: Deps, person: HinIdentity, client_ip: str, locale: api.Language, seen: api.SeenDevice
) -> api.HinOutcome:
    """The identity's account (found by HIN id, else linked by GLN, else created), and a session."""
    refusal: tuple[api.HinRefusal, str, str] | None = None
    async with deps.outbox.transaction() as conn:
        row = await conn.fetchrow(
            "SELECT id, hin_id, gln, role, status, mobile, locale FROM accounts WHERE hin_id = $1 OR gln = $2 "
            "ORDER BY hin_id = $1 DESC NULLS LAST LIMIT 1 FOR UPDATE",
            person.sub,
            person.gln,
        )
        if row is None:
            account_id = await _create_account(conn, person, locale)
        else:
            account_id = str(row["id"])
            if row["role"] != "physician" or row["gln"] != person.gln or row["hin_id"] not in (None, person.sub):
                refusal = ("mismatch", f"HIN id {person.sub} and GLN name different accounts", account_id)
            elif row["status"] != "active":
                refusal = ("deactivated", f"account not active (HIN id {person.sub})", account_id)
            elif row["hin_id"] is None:
                await conn.execute("UPDATE accounts SET hin_id = $2 WHERE id = $1", row["id"], person.sub)
                await trail.record(
                    conn,
                    "account.hin_linked",
                    by=trail.actor(account_id, "physician"),
                    entity=trail.account(account_id),
                    detail=f"linked by GLN to HIN id {person.sub}",
                )
                if row["mobile"]:  # the owner learns that HIN now opens the account (if not them, they call)
                    await notices.ask(
                        conn,
                        notify.SendNotice(
                            to=row["mobile"], kind="hin_linked", locale=row["locale"], account_id=account_id
                        ),
                    )
        if refusal is None:
            session_id, secret, previous = await store.open_session(conn, account_id, client_ip, "hin", seen)
            await trail.record(
                conn,
                "login.hin",
                by=trail.actor(account_id, "physician"),
                entity=trail.session(session_id),
                client_ip=client_ip,
                detail=f"HIN id {person.sub}",
            )
    if refusal is not None:
        return await _refused(deps, refusal[0], refusal[1], client_ip, refusal[2])
    return api.HinOutcome(
        session=api.SessionOpened(
            session=secret, idle_timeout_seconds=deps.settings.session_idle_seconds, previous_login_at=previous
        )
    )


async def _create_account(conn: Connection, person: HinIdentity, locale: api.Language) -> str:
    """A personal identity's first login: the physician's account, active, bound to HIN id and GLN;
    no password or mobile (HIN is the login), the profile to confirm first."""
    account = store.Account(
        id=str(uuid.uuid4()),
        login=None,
        password_hash=None,
        role="physician",
        status="active",
        family_name=person.family_name,
        given_name=person.given_name,
        email=person.email,
        mobile=None,
        gln=person.gln,
        rpps=None,
        locale=locale,  # the page's where the physician logged in: theirs to change in the profile
        notify_new_documents="each",
    )
    await store.insert_account(conn, account)
    await conn.execute("UPDATE accounts SET hin_id = $2 WHERE id = $1", uuid.UUID(account.id), person.sub)
    await trail.record(
        conn,
        "account.created",
        by=account,
        entity=trail.account(account.id),
        detail=f"first login of HIN id {person.sub}",
    )
    return account.id


async def _refused(
    deps: Deps, refusal: api.HinRefusal, detail: str, client_ip: str, account_id: str | None = None
) -> api.HinOutcome:
    """Audit a refused HIN login and say why."""
    async with deps.outbox.connection() as conn:
        await trail.record(
            conn,
            "login.hin",
            by=trail.actor(account_id, "physician"),
            entity=None if account_id is None else trail.account(account_id),
            outcome="failure",
            client_ip=client_ip,
            detail=detail,
        )
    return api.HinOutcome(refusal=refusal)
