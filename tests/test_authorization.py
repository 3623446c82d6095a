"""Services decide who sees what: tokens are checked, documents are only their recipient's."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from common.contracts import documents
from common.errors import NotFound
from common.tokens import Caller, TokenIssuer
from deploy.stack import Stack

from .portal import Hospital, Physicians, PortalEvents, deliver


async def _delivered_to(doctor, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians) -> str:
    """Deliver a document to `doctor` and return its id as the doctor sees it."""
    await deliver(portal_events, hospital.episode(), doctor.gln)
    session = await physicians.login(doctor)
    page = await physicians.documents(session.token)
    return page.items[0].id


async def test_physician_cannot_list_or_open_another_physicians_document(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    alice, bob = await physicians.create(), await physicians.create()
    document_id = await _delivered_to(alice, hospital, portal_events, physicians)
    bob_session = await physicians.login(bob)

    page = await physicians.documents(bob_session.token)
    assert page.items == [] and page.total == 0
    with pytest.raises(NotFound) as refused:
        await physicians.call(documents.GET_DOCUMENT, documents.GetDocument(id=document_id), token=bob_session.token)
    assert refused.value.description == "not found"
    with pytest.raises(NotFound) as refused:
        await physicians.call(
            documents.READ_CONTENT,
            documents.GetContent(id=document_id, disposition="download"),
            token=bob_session.token,
        )
    assert refused.value.description == "not found"


async def _not_found_with(physicians: Physicians, token: str | None, document_id: str) -> str:
    with pytest.raises(NotFound) as refused:
        await physicians.call(
            documents.READ_CONTENT, documents.GetContent(id=document_id, disposition="view"), token=token
        )
    return refused.value.description


async def test_forged_expired_or_missing_token_gets_the_same_not_found(
    stack: Stack, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    document_id = await _delivered_to(doctor, hospital, portal_events, physicians)
    caller = Caller(account_id=doctor.account_id, role="physician", session_id="s", physician=f"gln:{doctor.gln}")

    forged, _ = TokenIssuer(Ed25519PrivateKey.generate(), 60).issue(caller)  # signed with another key
    assert stack.secrets is not None
    real_issuer = TokenIssuer.from_pem_file(stack.secrets.signing_key, 60)
    expired, _ = real_issuer.issue(caller, now=time.time() - 3600)
    unsigned = jwt.encode({"sub": doctor.account_id, "role": "physician", "sid": "s"}, key=None, algorithm="none")
    valid, _ = real_issuer.issue(caller)

    answers = {await _not_found_with(physicians, token, document_id) for token in (forged, expired, unsigned, None)}
    answers.add(await _not_found_with(physicians, valid, "00000000-0000-4000-8000-000000000000"))
    assert answers == {"not found"}
    # and the genuine token does open it
    opened = await physicians.call(
        documents.READ_CONTENT, documents.GetContent(id=document_id, disposition="view"), token=valid
    )
    assert opened.media_type == "application/pdf"
