"""Secure applications (F4): the administrators' catalogue, enrolments granted or refused, and
opening an application with a signed assertion (60 s, single use, audience = the application)
that the application verifies with the published keys, here the partner application stand-in."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import jwt
import pytest
from yarl import URL

from deploy.partner_application import Refused, verify_assertion
from deploy.stack import Stack

from .portal import Physician, Physicians
from .web import SignIn, WebClient

ASSERTION = re.compile(r'name="assertion" value="([^"]+)"')


@pytest.fixture
async def admin(sign_in: SignIn, physicians: Physicians) -> WebClient:
    return await sign_in(await physicians.create(role="admin"))


@pytest.fixture
async def doctor(physicians: Physicians) -> Physician:
    return await physicians.create()


@pytest.fixture
async def doctor_web(sign_in: SignIn, doctor: Physician) -> AsyncIterator[WebClient]:
    yield await sign_in(doctor)


async def create_application(
    admin: WebClient, stack: Stack, physicians: Physicians, needs_enrolment: bool = False, **texts: str
) -> tuple[str, str]:
    """An application at the partner stand-in, made through the administrators' form: (id, identifier).
    `texts`: its name or description instead of the usual ones."""
    slug = f"app-{uuid.uuid4().hex[:10]}"
    fields = {
        "name": f"Imagerie {slug[-4:]}",
        "slug": slug,
        "url": f"{stack.partner_app_url}/{slug}",
        "description": "Images et comptes rendus",
        "active": "1",
    } | texts
    if needs_enrolment:
        fields["needs_enrolment"] = "1"
    saved = await admin.post_form("/admin/applications", fields, form_page="/admin/applications/new")
    assert saved.status == 303 and saved.headers["Location"] == "/admin/applications"
    assert physicians.pool is not None
    return str(await physicians.pool.fetchval("SELECT id FROM applications WHERE slug = $1", slug)), slug


async def open_page(web: WebClient, app_id: str) -> tuple[int, str, str]:
    """Open from the catalogue: the status, the page, its CSP."""
    response = await web.post_form(f"/applications/{app_id}/open", {}, form_page="/applications")
    return response.status, await response.text(), response.headers.get("Content-Security-Policy", "")


async def assertion_of(web: WebClient, app_id: str) -> str:
    status, page, _ = await open_page(web, app_id)
    assert status == 200, status
    match = ASSERTION.search(page)
    assert match
    return match.group(1)


async def published_keys(web: WebClient) -> list[dict]:
    response = await web.session.get(web.base + "/.well-known/jwks.json")  # public: no session needed
    assert response.status == 200 and "max-age" in response.headers["Cache-Control"]
    return (await response.json())["keys"]


async def test_administrators_keep_the_catalogue_and_bad_fields_save_nothing(
    admin: WebClient, stack: Stack, physicians: Physicians
) -> None:
    app_id, slug = await create_application(admin, stack, physicians)
    listing = await admin.get("/admin/applications")
    assert listing.status == 200 and slug in await listing.text()
    edit = await admin.get(f"/admin/applications/{app_id}")
    assert edit.status == 200 and f'value="{slug}"' in await edit.text()

    bad = {"name": "", "slug": "Not A Slug", "url": "http://imagerie.example.ch/sso", "description": ""}
    refused = await admin.post_form("/admin/applications", bad, form_page="/admin/applications/new")
    page = await refused.text()
    assert refused.status == 400 and page.count('aria-invalid="true"') == 3 and 'value="Not A Slug"' in page
    taken = {"name": "Autre", "slug": slug, "url": "https://autre.example.ch/sso", "active": "1"}
    refused = await admin.post_form("/admin/applications", taken, form_page="/admin/applications/new")
    assert refused.status == 409 and "a déjà cet identifiant" in await refused.text()
    assert physicians.pool is not None
    assert (
        await physicians.pool.fetchval("SELECT count(*) FROM applications WHERE slug = $1 OR name = 'Autre'", slug) == 1
    )

    renamed = await admin.post_form(
        f"/admin/applications/{app_id}",
        {"name": "Imagerie renommée", "slug": slug, "url": f"{stack.partner_app_url}/{slug}", "active": "1"},
        form_page=f"/admin/applications/{app_id}",
    )
    assert renamed.status == 303
    assert (
        await physicians.pool.fetchval("SELECT name FROM applications WHERE id = $1", uuid.UUID(app_id))
        == "Imagerie renommée"
    )


async def test_opening_hands_over_a_signed_assertion_for_that_application_only(
    admin: WebClient, doctor_web: WebClient, doctor: Physician, stack: Stack, physicians: Physicians
) -> None:
    app_id, slug = await create_application(admin, stack, physicians)
    catalogue = await doctor_web.get("/applications")
    assert catalogue.status == 200 and f'action="/applications/{app_id}/open"' in await catalogue.text()

    status, page, csp = await open_page(doctor_web, app_id)
    assert status == 200
    assert f'action="{stack.partner_app_url}/{slug}"' in page and "/static/handover.js" in page
    assert f"form-action 'self' {stack.partner_app_url};" in csp
    token = ASSERTION.search(page).group(1)  # type: ignore[union-attr]

    [key] = await published_keys(doctor_web)
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["alg"] == "EdDSA"
    assert jwt.get_unverified_header(token)["kid"] == key["kid"]
    claims = jwt.decode(token, jwt.PyJWK(key), algorithms=["EdDSA"], audience=slug, issuer=stack.config.public_url)
    assert claims["exp"] - claims["iat"] == 60
    assert claims["sub"] == doctor.account_id and claims["gln"] == doctor.gln and claims["family_name"] == "Test"
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(token, jwt.PyJWK(key), algorithms=["EdDSA"], audience="another-app", issuer=stack.config.public_url)
    assert (
        jwt.decode(await assertion_of(doctor_web, app_id), options={"verify_signature": False})["jti"] != claims["jti"]
    )


async def test_the_application_accepts_an_assertion_once_within_its_minute(
    admin: WebClient, doctor_web: WebClient, stack: Stack, physicians: Physicians
) -> None:
    app_id, slug = await create_application(admin, stack, physicians)
    other_id, other = await create_application(admin, stack, physicians)
    token = await assertion_of(doctor_web, app_id)
    async with doctor_web.session.post(f"{stack.partner_app_url}/{other}", data={"assertion": token}) as wrong_audience:
        assert wrong_audience.status == 401 and "InvalidAudienceError" in await wrong_audience.text()
    async with doctor_web.session.post(f"{stack.partner_app_url}/{slug}", data={"assertion": token}) as accepted:
        assert accepted.status == 200 and "Welcome, Dr" in await accepted.text()
    async with doctor_web.session.post(f"{stack.partner_app_url}/{slug}", data={"assertion": token}) as replayed:
        assert replayed.status == 401 and "already used" in await replayed.text()

    keys = await published_keys(doctor_web)
    fresh = await assertion_of(doctor_web, app_id)
    issued = jwt.decode(fresh, options={"verify_signature": False})["iat"]
    with pytest.raises(Refused, match="expired"):  # one minute later (the application's clock moved)
        verify_assertion(fresh, keys, slug, stack.config.public_url, {}, now=issued + 60)
    assert verify_assertion(fresh, keys, slug, stack.config.public_url, {}, now=issued + 59)["aud"] == slug
    forged = fresh[:-4] + ("AAAA" if not fresh.endswith("AAAA") else "BBBB")
    with pytest.raises(Refused, match="InvalidSignatureError"):
        verify_assertion(forged, keys, slug, stack.config.public_url, {}, now=issued)


async def test_an_enrolment_is_asked_then_granted_refused_or_withdrawn(
    admin: WebClient, doctor_web: WebClient, stack: Stack, physicians: Physicians
) -> None:
    app_id, _ = await create_application(admin, stack, physicians, needs_enrolment=True)
    ask = f'action="/applications/{app_id}/enrolment"'
    assert ask in await (await doctor_web.get("/applications")).text()
    assert (await open_page(doctor_web, app_id))[0] == 404

    assert (
        await doctor_web.post_form(f"/applications/{app_id}/enrolment", {}, form_page="/applications")
    ).status == 303
    assert "un administrateur décidera" in await (await doctor_web.get("/applications")).text()
    assert (
        await doctor_web.post_form(f"/applications/{app_id}/enrolment", {}, form_page="/applications")
    ).status == 409
    waiting = await (await admin.get("/admin/applications")).text()
    decide = re.search(rf'action="(/admin/applications/{app_id}/enrolments/[0-9a-f-]+)/grant"', waiting)
    assert decide

    assert (await admin.post_form(decide.group(1) + "/refuse", {"confirm": "1"}, "/admin/applications")).status == 303
    assert "a été refusée" in await (await doctor_web.get("/applications")).text()
    assert (await open_page(doctor_web, app_id))[0] == 404
    assert (
        await doctor_web.post_form(f"/applications/{app_id}/enrolment", {}, form_page="/applications")
    ).status == 303

    assert (await admin.post_form(decide.group(1) + "/grant", {}, form_page="/admin/applications")).status == 303
    assert (await open_page(doctor_web, app_id))[0] == 200
    asked = await admin.post_form(decide.group(1) + "/refuse", {}, form_page="/admin/applications")
    assert asked.status == 200 and (await open_page(doctor_web, app_id))[0] == 200  # asked, not withdrawn yet
    assert (await admin.post_form(decide.group(1) + "/refuse", {"confirm": "1"}, "/admin/applications")).status == 303
    assert (await open_page(doctor_web, app_id))[0] == 404


async def test_nothing_of_the_catalogue_leaks_across_roles(
    admin: WebClient, doctor_web: WebClient, stack: Stack, physicians: Physicians
) -> None:
    app_id, slug = await create_application(admin, stack, physicians)
    assert (await doctor_web.get("/admin/applications")).status == 403
    assert (await doctor_web.get(f"/admin/applications/{app_id}")).status == 403
    hijack = {"name": "Volée", "slug": slug, "url": "https://evil.example.com/sso", "active": "1"}
    assert (
        await doctor_web.post_form(f"/admin/applications/{app_id}", hijack, form_page="/applications")
    ).status == 403
    assert (await admin.get("/applications")).status == 403
    assert (await open_page(admin, app_id))[0] == 403
    assert (await open_page(doctor_web, str(uuid.uuid4())))[0] == 404

    withdrawn = {"name": "Imagerie", "slug": slug, "url": f"{stack.partner_app_url}/{slug}"}  # "active" unchecked
    assert (
        await admin.post_form(f"/admin/applications/{app_id}", withdrawn, form_page=f"/admin/applications/{app_id}")
    ).status == 303
    assert app_id not in await (await doctor_web.get("/applications")).text()
    assert (await open_page(doctor_web, app_id))[0] == 404
    anonymous = WebClient(stack)
    try:
        assert (await anonymous.get("/applications")).status == 303
        assert URL((await anonymous.get("/applications")).headers["Location"]).path == "/login"
    finally:
        await anonymous.close()


async def test_public_keys_identify_the_signing_key(doctor_web: WebClient) -> None:
    [key] = await published_keys(doctor_web)
    assert set(key) == {"kty", "crv", "x", "kid", "use", "alg"} and key["use"] == "sig"
    assert "d" not in key  # never the private part
    assert len(key["kid"]) == 43  # RFC 7638 thumbprint, SHA-256, base64url


async def test_an_application_address_must_be_a_plain_https_origin(admin: WebClient, doctor_web: WebClient) -> None:
    for url in (
        "https://a.example.ch *;report-uri https://evil.example",
        "javascript:alert(1)",
        "https://user@a.example.ch/",
    ):
        fields = {"name": "Mauvaise", "slug": f"bad-{uuid.uuid4().hex[:8]}", "url": url, "active": "1"}
        refused = await admin.post_form("/admin/applications", fields, form_page="/admin/applications/new")
        assert refused.status == 400, url
    assert (await doctor_web.get("/admin/applications/new")).status == 403
    assert (await doctor_web.get("/admin/accounts/new")).status == 403


async def test_the_new_application_form_opens(admin: WebClient) -> None:
    """`GET /admin/applications/new` answered 500 (a template variable it lacked)."""
    response = await admin.get("/admin/applications/new")
    assert response.status == 200
    assert "csrf_token" in await response.text()
