"""Registration for SMS login: every field of the paper form checked, one account or request
per GLN/RPPS number, each request audited and waiting in the validators' queue; the form never
tells whether a number is known (its owner is told by email)."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from typing import Any

import pytest
from pydantic import ValidationError

from common.contracts import registration
from common.settings import SettingsError
from deploy.stack import Stack
from gateway.config import GatewaySettings
from services.identity import login_protection as protection

from .portal import Physicians, eventually, outbox_messages, random_gln, random_mobile
from .web import WebClient

REFERENCE = re.compile(r"R-[0-9A-Z]{4}-[0-9A-Z]{4}")


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


async def _requests_for(physicians: Physicians, gln: str) -> int:
    """How many requests with this number the validators' queue has ever had."""
    assert physicians.pool is not None
    return int(await physicians.pool.fetchval("SELECT count(*) FROM registration_requests WHERE gln = $1", gln))


async def _notice_to(stack: Stack, email: str, since_ns: int) -> dict[str, Any]:
    async def arrived() -> dict[str, Any] | None:
        found = outbox_messages(stack.outbox_dir, "email", email, since_ns)
        return found[-1] if found else None

    return await eventually(arrived, what=f"the notice to {email}")


async def test_a_known_number_gets_the_same_answer_and_its_owner_an_email_in_their_language(
    stack: Stack, physicians: Physicians
) -> None:
    """The public form told anyone whether a GLN had an account (issue 12): now the answer is the
    same, nothing joins the validators' queue, and the account's owner is told."""
    since = time.time_ns()
    doctor = await physicians.create()
    assert physicians.pool is not None
    await physicians.pool.execute("UPDATE accounts SET locale = 'en' WHERE id = $1", uuid.UUID(doctor.account_id))
    answer = await _submit(physicians, form(gln=doctor.gln, email="someone@elsewhere.example.ch"))
    assert REFERENCE.fullmatch(answer.reference)
    assert await _requests_for(physicians, doctor.gln) == 0
    notice = await _notice_to(stack, f"{doctor.login}@cabinet.example.ch", since)
    assert notice["subject"] == "Account request with your GLN or RPPS number"
    assert f"{stack.config.public_url}/login" in notice["body"]
    assert not outbox_messages(stack.outbox_dir, "email", "someone@elsewhere.example.ch", since)

    applicant = f"{uuid.uuid4().hex[:10]}@cabinet.example.ch"  # a request in progress: the same
    first = form(email=applicant)
    await _submit(physicians, first)
    again = await _submit(physicians, form(gln=first.gln, family_name="Autre"))
    assert REFERENCE.fullmatch(again.reference) and await _requests_for(physicians, str(first.gln)) == 1
    assert (await _notice_to(stack, applicant, since))["subject"] == "Demande de compte avec votre numéro GLN ou RPPS"


async def test_an_owner_is_told_once_a_day_however_many_forms_name_their_number(physicians: Physicians) -> None:
    """Each form with a known number would otherwise email its owner: a flood of the mailbox."""
    assert physicians.pool is not None
    key = f"told:{uuid.uuid4()}"
    async with physicians.pool.acquire() as conn:
        told = [await protection.once_a_day(conn, key) for _ in range(3)]
        assert told == [True, False, False]
        await conn.execute("UPDATE login_throttles SET not_before = now() - interval '1 second' WHERE key = $1", key)
        assert await protection.once_a_day(conn, key)


async def test_two_forms_at_once_for_one_number_keep_one(physicians: Physicians) -> None:
    gln = random_gln()
    outcomes = await asyncio.gather(*(_submit(physicians, form(gln=gln)) for _ in range(4)))
    assert all(REFERENCE.fullmatch(outcome.reference) for outcome in outcomes)
    assert await _requests_for(physicians, gln) == 1


async def test_the_public_form_shows_each_problem_and_keeps_what_was_typed(
    web: WebClient, physicians: Physicians
) -> None:
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

    # A number that has an account: the same answer, the same page (its owner gets an email).
    doctor = await physicians.create()
    known = await web.post_form("/register", fields | {"number": doctor.gln}, form_page="/register")
    assert known.status == 303 and REFERENCE.fullmatch(known.headers["Location"].split("=")[1])
    same = await web.get(known.headers["Location"])
    assert same.status == 200
    reference, other = sent.headers["Location"].split("=")[1], known.headers["Location"].split("=")[1]
    assert (await same.text()).replace(other, reference) == await done.text()


def _field_error(page: str, name: str) -> str | None:
    found = re.search(rf'<p class="field-error" id="{name}-error">([^<]*)</p>', page)
    return found.group(1) if found else None


async def test_each_field_says_what_is_wrong_on_the_first_submit(web: WebClient) -> None:
    """An empty GLN was flagged only once every other field was right, and an empty email or mobile
    said how to write one instead of saying it is required (issue 14)."""
    empty = {name: "" for name in ("family_name", "given_name", "street", "postcode", "city", "email", "mobile")}
    refused = await web.post_form("/register", {**empty, "number": "", "country": "CH", "signed_place": ""})
    page = await refused.text()
    assert refused.status == 400
    for name in (*empty, "number", "signed_place"):
        assert _field_error(page, name) == "Obligatoire.", name
    assert _field_error(page, "signed") == "Cochez la case pour certifier votre demande."

    written_wrong = {
        **empty,
        "family_name": "",
        "postcode": "12",
        "email": "claire.cabinet.ch",
        "mobile": "022 372 33 11",
        "number": "760100000",
        "signed_place": "Genève",
        "signed": "1",
    }
    page = await (await web.post_form("/register", written_wrong, form_page="/register")).text()
    assert _field_error(page, "family_name") == "Obligatoire."
    assert _field_error(page, "postcode") == "4 chiffres en Suisse, 5 en France."
    assert _field_error(page, "email") == "Une adresse e-mail comme nom@cabinet.ch."
    assert "pas un numéro de mobile" in str(_field_error(page, "mobile"))
    assert "13 chiffres" in str(_field_error(page, "number"))  # a number of no known length, at once
    assert _field_error(page, "signed_place") is None and _field_error(page, "signed") is None


async def test_the_last_page_says_how_and_where_to_book_the_identity_check(web: WebClient) -> None:
    """The registration's last page said to make an appointment, not how or where (issue 14)."""
    page = await (await web.get("/register/sent?reference=R-ABCD-EFGH")).text()
    assert "Prendre rendez-vous pour la vérification de votre identité" in page and "R-ABCD-EFGH" in page
    assert '<a href="https://rendez-vous.hopital.example.ch/identite" rel="noopener">prendre rendez-vous</a>' in page
    assert '<a href="tel:+41220000001">+41 22 000 00 01</a>' in page
    assert "Pour une vérification en personne, à l’adresse : Rue de l’Hôpital 1, 1205 Genève" in page


def test_where_to_book_is_checked_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """A malformed booking page, phone or address stops the gateway, naming the variable; each may stay empty."""
    for name, value in {"NATS_USER": "gateway", "NATS_PASSWORD": "x", "PORTAL_CSRF_SECRET": "s" * 32}.items():
        monkeypatch.setenv(name, value)
    settings = GatewaySettings.from_env()
    assert (settings.identity_check_url, settings.identity_check_phone, settings.identity_check_address) == ("",) * 3
    bad = {
        "PORTAL_IDENTITY_CHECK_URL": "javascript:alert(1)",
        "PORTAL_IDENTITY_CHECK_PHONE": "call us",
        "PORTAL_IDENTITY_CHECK_ADDRESS": "line\nbreak",
    }
    for name, value in bad.items():
        monkeypatch.setenv(name, value)
        with pytest.raises(SettingsError, match=name):
            GatewaySettings.from_env()
        monkeypatch.delenv(name)
    monkeypatch.setenv("PORTAL_IDENTITY_CHECK_URL", "https://rdv.example.ch/identite?lang=fr")
    assert GatewaySettings.from_env().identity_check_url == "https://rdv.example.ch/identite?lang=fr"
