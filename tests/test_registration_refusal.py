"""Validators refuse a registration request (issue 14): a reason the applicant reads by email in
the form's language, a note that stays with the validators, the refusal audited; the applicant
may send a new form, which gets the same answer as any other."""

from __future__ import annotations

import re
import time
import uuid

import pytest

from common.contracts import registration
from common.errors import Conflict, NotFound

from . import leaks
from .portal import Physicians, PortalEvents, outbox_messages
from .test_audit_and_notifications import _audited
from .test_registration import REFERENCE, _notice_to, form
from .web import SignIn


async def _waiting(physicians: Physicians, **submitted: object) -> tuple[registration.RegistrationForm, str, str]:
    """A request in the queue: its form, its reference and its id."""
    filled = form(email=f"{uuid.uuid4().hex[:10]}@cabinet.example.ch")
    received = await physicians.call(
        registration.SUBMIT_REGISTRATION, registration.RegistrationSubmission(form=filled, **submitted)
    )
    assert physicians.pool is not None
    request_id = await physicians.pool.fetchval(
        "SELECT id::text FROM registration_requests WHERE reference = $1", received.reference
    )
    return filled, received.reference, request_id


async def test_a_refused_applicant_reads_why_in_the_form_s_language(
    physicians: Physicians, portal_events: PortalEvents
) -> None:
    since = time.time_ns()
    filled, reference, request_id = await _waiting(physicians, locale="en")
    validator = await physicians.create(role="validator")
    session = (await physicians.login(validator)).token
    note = f"GLN of another physician {uuid.uuid4().hex[:6]}"
    leaks.SENSITIVE.remember(leaks.REFUSAL_NOTE, note)
    refusal = registration.RequestRefusal(id=request_id, reason="number_not_theirs", note=note)

    doctor_session = (await physicians.login(await physicians.create())).token
    with pytest.raises(NotFound):  # to anyone but validators, there is no such request
        await physicians.call(registration.REFUSE_REQUEST, refusal, token=doctor_session)

    refused = await physicians.call(registration.REFUSE_REQUEST, refusal, token=session)
    assert (refused.state, refused.refusal_reason, refused.refusal_note) == ("refused", "number_not_theirs", note)
    assert refused.refuser_name and refused.refused_at is not None
    with pytest.raises(Conflict):  # once
        await physicians.call(registration.REFUSE_REQUEST, refusal, token=session)

    mail = await _notice_to(physicians.stack, str(filled.email), since)
    assert mail["subject"] == "Your account request for the physicians' portal"
    assert reference in mail["body"] and "not that of a physician in practice by your name" in mail["body"]
    assert note not in mail["body"] and f"{physicians.stack.config.public_url}/register" in mail["body"]

    events = await _audited(portal_events, request_id, 2)  # submitted, refused
    assert any("reason: number_not_theirs" in str(event) and validator.account_id in str(event) for event in events)


async def test_a_refused_number_may_ask_again_and_gets_the_same_answer(physicians: Physicians) -> None:
    """A refusal frees the number: a new form is kept, with an answer like any other's (the form
    tells no one that this number was refused)."""
    filled, _, request_id = await _waiting(physicians)
    session = (await physicians.login(await physicians.create(role="admin"))).token
    refusal = registration.RequestRefusal(id=request_id, reason="no_identity_check")
    await physicians.call(registration.REFUSE_REQUEST, refusal, token=session)
    again = await physicians.call(registration.SUBMIT_REGISTRATION, registration.RegistrationSubmission(form=filled))
    assert REFERENCE.fullmatch(again.reference) and again.id_copy_ticket is None
    assert physicians.pool is not None
    states = await physicians.pool.fetch(
        "SELECT state FROM registration_requests WHERE gln = $1 ORDER BY submitted_at", filled.gln
    )
    assert [row["state"] for row in states] == ["refused", "submitted"]


async def test_the_refusal_on_the_request_s_page(physicians: Physicians, sign_in: SignIn) -> None:
    since = time.time_ns()
    filled, reference, request_id = await _waiting(physicians)
    validator = await sign_in(await physicians.create(role="validator"))
    path = f"/validation/{request_id}"
    page = await (await validator.get(path)).text()
    assert 'action="/validation/' in page and "Refuser la demande et en informer le demandeur" in page
    assert "La pièce d’identité présentée ne confirme pas l’identité du demandeur" in page

    unsaid = await validator.post_form(f"{path}/refuse", {"note": "Sans raison"}, form_page=path)
    text = await unsaid.text()
    assert unsaid.status == 400 and "Choisissez la raison du refus" in text and "Sans raison" in text
    assert not outbox_messages(physicians.stack.outbox_dir, "email", str(filled.email), since)

    leaks.SENSITIVE.remember(leaks.REFUSAL_NOTE, "Secrétariat du cabinet")
    refused = await validator.post_form(
        f"{path}/refuse", {"reason": "shared_account", "note": "Secrétariat du cabinet"}, form_page=path
    )
    assert refused.status == 303 and refused.headers["Location"] == path
    page = await (await validator.get(path)).text()
    assert "Raison communiquée au demandeur" in page and "Secrétariat du cabinet" in page
    assert "Pas d’identifiant : la demande a été refusée." in page and "Refuser la demande" not in page
    mail = await _notice_to(physicians.stack, str(filled.email), since)
    assert mail["subject"] == "Votre demande de compte sur le portail médecins" and reference in mail["body"]
    assert "cabinet ou d’un secrétariat" in mail["body"] and "Secrétariat du cabinet" not in mail["body"]

    queue = await (await validator.get("/validation?state=refused")).text()
    assert re.search(rf'href="{path}">{reference}<', queue) and "Refusées" in queue
    again = await validator.post_form(f"{path}/refuse", {"reason": "other"}, form_page=path)
    assert again.status == 409 and "ne peut plus être refusée" in await again.text()

    doctor = await sign_in(await physicians.create())
    assert (await doctor.post_form(f"{path}/refuse", {"reason": "other"}, form_page="/documents")).status == 403
