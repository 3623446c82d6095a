"""HIN login (F5.1) end to end against a real OpenID Connect provider (oidc-provider, started by
the stack as the test stand-in for HIN): PKCE, state bound to the browser, exact redirect URI,
each attempt once, personal identities only, accounts created or linked by GLN."""

from __future__ import annotations

import time
import uuid

import pytest
from yarl import URL

from common.bus import call
from common.contracts import identity
from common.errors import TooManyRequests
from deploy.stack import Stack
from deploy.test_identity_provider import TestIdentityProvider

from .portal import Physicians, eventually, outbox_messages, random_gln
from .web import SignIn, WebClient


def new_identity(idp: TestIdentityProvider, kind: str = "personal", gln: str | None = None) -> tuple[str, str]:
    """A fresh test identity at the provider: its HIN id and GLN."""
    hin_id, gln = f"hin-{uuid.uuid4().hex[:10]}", gln or random_gln()
    idp.add_identity(
        hin_id,
        {
            "given_name": "Lea",
            "family_name": f"Hin{hin_id[-4:]}",
            "email": f"{hin_id}@hin.example.ch",
            "gln": gln,
            "hin_identity_type": kind,
        },
    )
    return hin_id, gln


async def accounts_with(physicians: Physicians, gln: str) -> list[dict]:
    assert physicians.pool is not None
    rows = await physicians.pool.fetch(
        "SELECT id, hin_id, status, login, given_name, email, profile_confirmed_at FROM accounts WHERE gln = $1", gln
    )
    return [dict(row) for row in rows]


async def test_authorization_request_uses_pkce_state_and_the_exact_redirect_uri(
    web: WebClient, stack: Stack, hin_idp: TestIdentityProvider
) -> None:
    response = await web.post_form("/login/hin", {}, form_page="/login")
    url = URL(response.headers["Location"])
    query = url.query
    assert str(url.origin()) == hin_idp.issuer and url.path == "/auth"
    assert query["response_type"] == "code" and query["client_id"] == "portal"
    assert query["redirect_uri"] == f"{stack.config.public_url}/login/hin/callback"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 43  # 256 random bits
    cookie = response.cookies["portal_hin"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and 590 <= int(cookie["max-age"]) <= 600
    assert len(cookie.value) >= 43 and cookie.value not in str(url)
    second = URL(await web.start_hin_login())
    assert second.query["state"] != query["state"] and second.query["code_challenge"] != query["code_challenge"]


async def test_first_login_of_a_personal_identity_creates_the_activated_account(
    web: WebClient, hin_idp: TestIdentityProvider, physicians: Physicians
) -> None:
    hin_id, gln = new_identity(hin_idp)
    done = await web.hin_login(hin_id)
    assert done.status == 303 and done.headers["Location"] == "/"
    [account] = await accounts_with(physicians, gln)
    assert account["hin_id"] == hin_id and account["status"] == "active" and account["login"] is None
    assert account["given_name"] == "Lea" and account["email"] == f"{hin_id}@hin.example.ch"
    # A known recipient from now on (F5.5): documents for this GLN are delivered.
    documents = await web.stack.connect_nats("documents")  # as the documents service asks
    try:
        status = await call(documents, identity.LOOK_UP_PHYSICIAN, identity.PhysicianLookup(physician=f"gln:{gln}"))
    finally:
        await documents.close()
    assert status.known and status.activated
    # The new physician confirms the profile before anything else.
    home = await web.get("/")
    assert home.status == 303 and home.headers["Location"].startswith("/profile")
    assert "portal_hin" not in {cookie.key for cookie in web.session.cookie_jar}

    again = WebClient(web.stack)
    try:
        assert (await again.hin_login(hin_id)).status == 303
    finally:
        await again.close()
    assert len(await accounts_with(physicians, gln)) == 1


async def test_a_new_hin_account_starts_in_the_language_of_the_page_it_logged_in_from(
    web: WebClient, hin_idp: TestIdentityProvider, physicians: Physicians
) -> None:
    hin_id, gln = new_identity(hin_idp)
    await web.get("/lang/it?next=/login")
    assert (await web.hin_login(hin_id)).status == 303
    assert physicians.pool is not None
    assert await physicians.pool.fetchval("SELECT locale FROM accounts WHERE gln = $1", gln) == "it"


async def test_an_sms_account_with_the_same_gln_is_linked_not_duplicated(
    web: WebClient, hin_idp: TestIdentityProvider, physicians: Physicians
) -> None:
    physician = await physicians.create()
    hin_id, _ = new_identity(hin_idp, gln=physician.gln)
    done = await web.hin_login(hin_id)
    assert done.status == 303 and done.headers["Location"] == "/"
    [account] = await accounts_with(physicians, physician.gln)
    assert str(account["id"]) == physician.account_id and account["hin_id"] == hin_id
    assert account["login"] == physician.login  # the SMS login still works too
    assert (await physicians.login(physician)).token
    page = await web.get("/documents")
    assert page.status == 200


async def test_a_practice_identity_is_refused_with_a_clear_page(
    web: WebClient, hin_idp: TestIdentityProvider, physicians: Physicians
) -> None:
    hin_id, gln = new_identity(hin_idp, kind="practice")
    refused = await web.hin_login(hin_id)
    assert refused.status == 403
    page = await refused.text()
    assert "identité partagée" in page and "identité HIN personnelle" in page
    assert await accounts_with(physicians, gln) == []
    assert (await web.get("/documents")).status == 303  # no session


async def test_each_attempt_finishes_once_and_only_in_the_browser_that_started_it(
    web: WebClient, hin_idp: TestIdentityProvider, stack: Stack
) -> None:
    hin_id, _ = new_identity(hin_idp)
    callback = (await web.at_hin(await web.start_hin_login(), hin_id)).removeprefix(web.base)

    other = WebClient(stack)  # the code and state, stolen or forwarded to another browser
    try:
        stolen = await other.get(callback)
        assert stolen.status == 400 and "un autre navigateur" in await stolen.text()
        assert (await other.get("/documents")).status == 303
    finally:
        await other.close()

    first = await web.get(callback)  # the real browser still finishes its own attempt
    assert first.status == 303 and first.headers["Location"] == "/"
    replayed = await web.get(callback)
    assert replayed.status == 400 and "déjà été utilisée" in await replayed.text()


async def test_a_forged_state_a_wrong_code_or_no_cookie_opens_nothing(
    web: WebClient, hin_idp: TestIdentityProvider, stack: Stack
) -> None:
    start = URL(await web.start_hin_login())
    state = start.query["state"]
    assert (await web.get(f"/login/hin/callback?state={'x' * 43}&code=abc")).status == 400
    assert (await web.get("/login/hin/callback?code=abc")).status == 400
    assert (await web.get(f"/login/hin/callback?state={'s' * 300}&code=abc")).status == 400
    wrong = await web.get(f"/login/hin/callback?state={state}&code=not-a-code-the-provider-gave")
    assert wrong.status == 400  # the provider refuses the exchange
    cookieless = WebClient(stack)
    try:
        assert (await cookieless.get(f"/login/hin/callback?state={state}&code=abc")).status == 400
    finally:
        await cookieless.close()
    assert (await web.get("/documents")).status == 303


async def test_a_cancelled_login_and_an_expired_attempt_are_told_apart(
    web: WebClient, hin_idp: TestIdentityProvider, physicians: Physicians
) -> None:
    state = URL(await web.start_hin_login()).query["state"]
    cancelled = await web.get(f"/login/hin/callback?state={state}&error=access_denied")
    assert cancelled.status == 400 and "annulée" in await cancelled.text()

    hin_id, _ = new_identity(hin_idp)
    callback = (await web.at_hin(await web.start_hin_login(), hin_id)).removeprefix(web.base)
    assert physicians.pool is not None  # ten minutes later (the test moves the clock of the attempts)
    await physicians.pool.execute(
        "UPDATE hin_attempts SET expires_at = now() - interval '1 second' WHERE finished_at IS NULL"
    )
    expired = await web.get(callback)
    assert expired.status == 400 and "a expiré" in await expired.text()


async def test_a_deactivated_account_cannot_log_in_with_hin(
    web: WebClient, hin_idp: TestIdentityProvider, physicians: Physicians
) -> None:
    physician = await physicians.create(status="deactivated")
    hin_id, _ = new_identity(hin_idp, gln=physician.gln)
    refused = await web.hin_login(hin_id)
    assert refused.status == 403 and "désactivé" in await refused.text()
    assert (await web.get("/documents")).status == 303


async def test_a_hin_identity_cannot_take_over_an_account_bound_to_another(
    web: WebClient, hin_idp: TestIdentityProvider, physicians: Physicians
) -> None:
    first, gln = new_identity(hin_idp)
    assert (await web.hin_login(first)).status == 303
    second, _ = new_identity(hin_idp, gln=gln)  # another HIN id claiming the same GLN
    other = WebClient(web.stack)
    try:
        refused = await other.hin_login(second)
        assert refused.status == 409
        assert (await other.get("/documents")).status == 303
    finally:
        await other.close()
    [account] = await accounts_with(physicians, gln)
    assert account["hin_id"] == first


async def test_the_callback_needs_no_session_but_the_button_needs_its_csrf_token(web: WebClient) -> None:
    assert (await web.get("/login/hin/callback?state=abc&code=def")).status == 400
    forged = await web.session.post(
        web.base + "/login/hin", data={}, headers={"Origin": web.base}, allow_redirects=False
    )
    assert forged.status == 403


async def test_a_hin_account_has_no_password_to_change_here(web: WebClient, hin_idp: TestIdentityProvider) -> None:
    hin_id, _ = new_identity(hin_idp)
    assert (await web.hin_login(hin_id)).status == 303
    refused = await web.post_form(
        "/profile/password",
        {"current": "anything-at-all", "new": "a long new passphrase", "again": "a long new passphrase"},
    )
    assert refused.status == 400 and "changés chez HIN" in await refused.text()
    profile = await (await web.get("/profile")).text()
    assert "changés chez HIN" in profile and 'href="/profile/password"' not in profile


async def test_the_owner_of_a_linked_sms_account_is_told_by_sms(
    web: WebClient, hin_idp: TestIdentityProvider, physicians: Physicians
) -> None:
    physician = await physicians.create()
    hin_id, _ = new_identity(hin_idp, gln=physician.gln)
    since = time.time_ns()
    assert (await web.hin_login(hin_id)).status == 303

    async def notice() -> str | None:
        messages = outbox_messages(web.stack.outbox_dir, "sms", physician.mobile, since)
        return messages[-1]["body"] if messages else None

    assert "identité HIN" in await eventually(notice, what="the notice of the HIN link")


async def test_an_identity_without_its_names_or_email_opens_nothing(
    web: WebClient, hin_idp: TestIdentityProvider, physicians: Physicians
) -> None:
    hin_id, gln = f"hin-{uuid.uuid4().hex[:10]}", random_gln()
    hin_idp.add_identity(
        hin_id, {"gln": gln, "hin_identity_type": "personal", "given_name": "", "family_name": "Rossi"}
    )
    refused = await web.hin_login(hin_id)
    assert refused.status == 400 and await accounts_with(physicians, gln) == []


async def test_hin_logins_started_from_one_address_are_limited(physicians: Physicians, web: WebClient) -> None:
    address = f"203.0.113.{uuid.uuid4().int % 250 + 1}"
    for _ in range(20):
        await physicians.call(identity.BEGIN_HIN_LOGIN, identity.HinBegin(browser="b" * 43, client_ip=address))
    with pytest.raises(TooManyRequests):
        await physicians.call(identity.BEGIN_HIN_LOGIN, identity.HinBegin(browser="b" * 43, client_ip=address))
    oversized = await web.get("/login/hin/callback?state=abc&code=def", headers={"Cookie": "portal_hin=" + "x" * 200})
    assert oversized.status == 400  # a clear page, not an error


async def test_an_administrator_unlinks_a_wrong_hin_identity(
    web: WebClient, hin_idp: TestIdentityProvider, physicians: Physicians, sign_in: SignIn
) -> None:
    wrong, gln = new_identity(hin_idp)
    assert (await web.hin_login(wrong)).status == 303
    assert (await web.get("/profile")).status == 200
    [account] = await accounts_with(physicians, gln)
    path = f"/admin/accounts/{account['id']}/unlink-hin"
    someone = await sign_in(await physicians.create())
    assert (await someone.post_form(path, {}, form_page="/documents")).status == 403  # not a physician's to do

    admin = await sign_in(await physicians.create(role="admin"))
    listing = f"/admin/accounts?text={gln}"
    assert f'action="{path}"' in await (await admin.get(listing)).text()
    assert (await admin.post_form(path, {"next": listing}, form_page=listing)).status == 200  # asks first
    assert (await web.get("/profile")).status == 200  # which changed nothing
    assert (await admin.post_form(path, {"next": listing, "confirm": "1"}, form_page=listing)).status == 303
    assert (await web.get("/profile")).status == 303  # its sessions ended

    right, _ = new_identity(hin_idp, gln=gln)
    other = WebClient(web.stack)
    try:
        assert (await other.hin_login(right)).status == 303
    finally:
        await other.close()
    [relinked] = await accounts_with(physicians, gln)
    assert relinked["id"] == account["id"] and relinked["hin_id"] == right
