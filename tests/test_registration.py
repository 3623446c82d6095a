"""Registration for SMS login: every field of the paper form checked, one account or request
per GLN/RPPS number, each request audited and waiting in the validators' queue."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import ValidationError

from common.contracts import registration
from common.errors import Conflict

from .portal import Physicians, random_gln, random_mobile
from .web import WebClient


def form(**changes: object) -> registration.RegistrationForm:
    fields: dict[str, object] = {
        "family_name": "Favre",
        "given_name": "Claire",
        "street": "Rue du Rhône 1",
        "postcode": "1204",
        "city": "Genève",
        "country": "CH",
        "email": "claire.favre@cabinet.example.ch",
        "mobile": random_mobile(),
        "gln": random_gln(),
        "screening_access": True,
        "signed_place": "Genève",
        "signed": True,
    }
    return registration.RegistrationForm.model_validate(fields | changes)


def test_each_field_is_checked() -> None:
    bad = {
        "family_name": "",
        "postcode": "12",
        "country": "DE",
        "email": "claire.cabinet.ch",
        "mobile": "022 372 33 11",
        "gln": "7601000000003",
        "signed": False,
    }
    with pytest.raises(ValidationError) as refused:
        form(**bad)
    assert {error["loc"][0] for error in refused.value.errors()} == set(bad)
    with pytest.raises(ValidationError, match="give a GLN"):
        form(gln=None)
    with pytest.raises(ValidationError, match="give a GLN"):
        form(rpps="10000000009")  # both
    assert form(gln=None, rpps="10000000009", country="FR", mobile="+33 6 12 34 56 78").mobile == "+33612345678"


async def _submit(physicians: Physicians, filled: registration.RegistrationForm) -> registration.RegistrationReceived:
    return await physicians.call(registration.SUBMIT_REGISTRATION, registration.RegistrationSubmission(form=filled))


async def test_a_request_waits_in_the_queue_with_a_reference(physicians: Physicians) -> None:
    filled = form()
    received = await _submit(physicians, filled)
    assert received.reference.startswith("R-") and len(received.reference) == 11
    assert physicians.pool is not None
    async with physicians.pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM registration_requests WHERE reference = $1", received.reference)
    assert row is not None and row["state"] == "submitted" and row["gln"] == filled.gln
    assert row["mobile"] == filled.mobile and row["screening_access"] is True


async def test_one_account_one_physician(physicians: Physicians) -> None:
    filled = form()
    await _submit(physicians, filled)
    with pytest.raises(Conflict, match="already exists"):  # a request in progress
        await _submit(physicians, form(gln=filled.gln, family_name="Autre"))
    doctor = await physicians.create()
    with pytest.raises(Conflict, match="already exists"):  # an account
        await _submit(physicians, form(gln=doctor.gln))


async def test_two_forms_at_once_for_one_number_keep_one(physicians: Physicians) -> None:
    gln = random_gln()
    outcomes = await asyncio.gather(*(_submit(physicians, form(gln=gln)) for _ in range(4)), return_exceptions=True)
    assert sum(isinstance(outcome, registration.RegistrationReceived) for outcome in outcomes) == 1
    assert all(isinstance(outcome, (registration.RegistrationReceived, Conflict)) for outcome in outcomes)
    assert physicians.pool is not None
    async with physicians.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM registration_requests WHERE gln = $1", gln) == 1


async def test_the_public_form_shows_each_problem_and_keeps_what_was_typed(web: WebClient) -> None:
    page = await web.get("/register")
    assert page.status == 200 and "Demander un compte" in await page.text()
    fields = {
        "family_name": "Favre",
        "given_name": "",
        "street": "Rue du Rhône 1",
        "postcode": "12",
        "city": "Genève",
        "country": "CH",
        "email": "claire.favre@cabinet.example.ch",
        "mobile": "022 372 33 11",
        "number": "7601000000003",
        "signed_place": "Genève",
        "screening_access": "1",
    }
    refused = await web.post_form("/register", fields)
    text = await refused.text()
    assert refused.status == 400 and "Certains champs sont à corriger" in text
    for name in ("given_name", "postcode", "mobile", "number", "signed"):
        assert f'id="{name}-error"' in text, name
    assert 'value="Favre"' in text and 'value="claire.favre@cabinet.example.ch"' in text  # nothing typed is lost
    assert 'id="screening_access" name="screening_access" type="checkbox" value="1" checked' in text

    gln = random_gln()
    fields |= {"given_name": "Claire", "postcode": "1204", "mobile": random_mobile(), "number": gln, "signed": "1"}
    sent = await web.post_form("/register", fields, form_page="/register")
    assert sent.status == 303 and sent.headers["Location"].startswith("/register/sent?reference=R-")
    done = await web.get(sent.headers["Location"])
    assert done.status == 200 and "Demande reçue" in await done.text()

    again = await web.post_form("/register", fields | {"mobile": random_mobile()}, form_page="/register")
    assert again.status == 409 and "un seul compte par médecin" in await again.text()
