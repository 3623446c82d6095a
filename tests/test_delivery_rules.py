"""The delivery rule (F1.2): each way a document can fail to reach a physician, with its reason.

First the rule itself, as pure functions (`services.documents.delivery`, and the content checks
of `services.documents.contents` for `invalid_content`), one unit test per reason of the
contract; then the same reasons end to end, through the bus and the documents service.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any, get_args

import asyncpg
import pytest

from common.contracts.hospital import DocumentMeta, InlineContent, UndeliveredReason
from common.contracts.undelivered import DETAILS, read_detail
from common.sealed.checks import ContentRules, InvalidContent
from deploy import hospital_sim
from deploy.stack import Stack
from gateway.i18n import load_translations
from gateway.labels import undelivered_detail
from services.documents.contents import inline_bytes
from services.documents.delivery import (
    Designation,
    Recipient,
    Refusal,
    account_refusal,
    designated_recipients,
    document_refusal,
)

from .portal import Hospital, Physicians, PortalEvents, eventually, metric, metric_grows, random_gln

PDF = hospital_sim.make_pdf("Lettre de sortie", ["Traitement : repos"])
GLN = "gln:7601000000002"


def _meta(**options: Any) -> DocumentMeta:
    """A document's metadata as the hospital sends it (the simulator's message, validated)."""
    message = hospital_sim.document(
        "EP-1", hospital_sim.patient("Rochat", "Élodie", "1979-07-23", "female"), PDF, **options
    )
    return DocumentMeta.model_validate(message["document"])


def _inline(data: bytes, media_type: str = "application/pdf", sha256: str | None = None) -> InlineContent:
    return InlineContent(
        media_type=media_type,
        sha256=sha256 or hashlib.sha256(data).hexdigest(),
        data_b64=base64.b64encode(data).decode(),
    )


def _content_reason(content: InlineContent) -> UndeliveredReason | None:
    """What the documents service records for a content that fails its checks (`_content_refused`)."""
    try:
        inline_bytes(content)
    except InvalidContent:
        return "invalid_content"
    return None


def _reason(outcome: Refusal | Recipient | None) -> UndeliveredReason | None:
    return outcome.reason if isinstance(outcome, Refusal) else None


# Each reason of the contract, and a case of the pure rule that gives it.
REASONS: dict[str, Callable[[], UndeliveredReason | None]] = {
    "not_final": lambda: _reason(document_refusal(_meta(status="preliminary"))),
    "not_communicating": lambda: _reason(document_refusal(_meta(communicating=False))),
    "no_designation": lambda: _reason(designated_recipients([])[0]),
    "no_consent": lambda: _reason(designated_recipients([Designation(GLN, True, False)])[0]),
    "designation_revoked": lambda: _reason(designated_recipients([Designation(GLN, False, True)])[0]),
    "physician_unknown": lambda: _reason(account_refusal(GLN, known=False, activated=False)),
    "physician_not_activated": lambda: _reason(account_refusal(GLN, known=True, activated=False)),
    "invalid_content": lambda: _content_reason(_inline(b"<html><script>alert(1)</script></html>")),
}


@pytest.mark.parametrize("reason", get_args(UndeliveredReason))
def test_each_reason_of_the_contract_comes_from_the_rule(reason: str) -> None:
    assert reason in REASONS, f"no unit test gives {reason}"
    assert REASONS[reason]() == reason


def test_a_final_communicating_document_passes_the_documents_checks() -> None:
    assert document_refusal(_meta()) is None


def test_a_preliminary_document_is_refused_as_not_final_before_its_class_is_looked_at() -> None:
    refusal = document_refusal(_meta(status="preliminary", communicating=False))
    assert refusal == Refusal("not_final", "the document is preliminary")


def test_no_designation_is_one_refusal_for_the_episode() -> None:
    assert designated_recipients([]) == [Refusal("no_designation", "no physician is designated for this episode")]


def test_each_designation_gives_its_recipient_or_its_own_refusal() -> None:
    revoked, refused, consenting = "gln:7601000000001", "gln:7601000000019", "gln:7601000000026"
    outcomes = designated_recipients(
        [
            Designation(revoked, active=False, electronic_consent=True),
            Designation(refused, active=True, electronic_consent=False),
            Designation(consenting, active=True, electronic_consent=True),
        ]
    )
    assert outcomes == [
        Refusal("designation_revoked", f"designation of {revoked} was revoked"),
        Refusal("no_consent", f"no electronic consent for {refused}"),
        Recipient(consenting),
    ]


def test_a_revoked_designation_is_revoked_whatever_its_consent() -> None:
    [outcome] = designated_recipients([Designation(GLN, active=False, electronic_consent=False)])
    assert outcome == Refusal("designation_revoked", f"designation of {GLN} was revoked")


def test_only_a_known_activated_account_receives() -> None:
    assert account_refusal(GLN, known=True, activated=True) is None
    assert account_refusal(GLN, known=False, activated=True) == Refusal(
        "physician_unknown", f"{GLN} has no account on the portal"
    )
    assert account_refusal(GLN, known=True, activated=False) == Refusal(
        "physician_not_activated", f"the account of {GLN} is not activated"
    )


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (_inline(PDF), None),
        (_inline(b"<html></html>"), "the content is not a application/pdf file"),
        (_inline(PDF, media_type="text/html"), "media type 'text/html' is not accepted"),
        (_inline(PDF, sha256="0" * 64), "sha256 does not match the content"),
        (
            InlineContent(media_type="application/pdf", sha256="0" * 64, data_b64="not base64!"),
            "data_b64 is not valid base64",
        ),
    ],
    ids=["pdf", "not-a-pdf", "media-type", "sha256", "base64"],
)
def test_an_inline_content_that_fails_a_check_is_invalid_content(content: InlineContent, why: str | None) -> None:
    if why is None:
        assert inline_bytes(content) == PDF
        return
    with pytest.raises(InvalidContent) as refused:
        inline_bytes(content)
    assert str(refused.value) == why


def _details_composed() -> list[str]:
    """Every detail the documents service writes: each refusal of the rule, each content refused."""
    outcomes = [
        document_refusal(_meta(status="preliminary")),
        document_refusal(_meta(communicating=False)),
        *designated_recipients([]),
        *designated_recipients([Designation(GLN, False, True), Designation(GLN, True, False)]),
        account_refusal(GLN, known=False, activated=False),
        account_refusal(GLN, known=True, activated=False),
    ]
    details = [outcome.detail for outcome in outcomes if isinstance(outcome, Refusal)]
    contents = [
        _inline(b"<html></html>"),
        _inline(PDF, media_type="text/html"),
        _inline(PDF, sha256="0" * 64),
        InlineContent(media_type="application/pdf", sha256="0" * 64, data_b64="not base64!"),
        _inline(b"%PDF-" + bytes(512 * 1024 - 4)),  # one byte past 512 KiB
    ]
    for content in contents:
        with pytest.raises(InvalidContent) as refused:
            inline_bytes(content)
        details.append(str(refused.value))
    rules = ContentRules(frozenset({"application/pdf", "image/png"}), 20 * 1024 * 1024)
    for refuse in (lambda: rules.check_size(rules.max_size + 1), lambda: rules.check_start(b"GIF89a", None)):
        with pytest.raises(InvalidContent) as refused:
            refuse()
        details.append(str(refused.value))
    return [*details, "no such object in the Object Store"]


def test_each_detail_of_an_undelivered_document_reads_in_french() -> None:
    """The undelivered list showed the detail in English in the French interface (issue 14)."""
    french = load_translations("fr").gettext
    details = _details_composed()
    assert {read.code for detail in details if (read := read_detail(detail))} == set(DETAILS)
    worded = {detail: undelivered_detail(detail, french) for detail in details}
    assert all(worded[detail] != detail and french(worded[detail]) == worded[detail] for detail in details)
    assert worded[f"designation of {GLN} was revoked"] == "La désignation de GLN 7601000000002 a été révoquée"
    assert worded["content larger than 20 MiB"] == "Le contenu dépasse 20 MiB"
    assert undelivered_detail("words no one wrote", french) == "words no one wrote"  # shown as they are


async def _undelivered_reason(portal_events: PortalEvents, sent: dict) -> str:
    event = await portal_events.wait_for("portal.documents.undelivered", document_id=sent["document"]["id"])
    assert portal_events.matching("portal.documents.delivered", document_id=sent["document"]["id"]) == []
    return event["reason"]


async def test_document_without_designation_waits_then_is_reported_after_30_days(
    hospital: Hospital, portal_events: PortalEvents, documents_db: asyncpg.Pool
) -> None:
    sent = await hospital.episode().document()
    document_id = sent["document"]["id"]

    async def waiting() -> bool | None:
        return await documents_db.fetchval("SELECT true FROM pending_documents WHERE document_id = $1", document_id)

    await eventually(waiting, what="the document waiting for its designation")
    assert portal_events.matching("portal.documents.undelivered", document_id=document_id) == []
    # 30 days pass (the test moves the document's clock; the service sweeps every second here)
    await documents_db.execute(
        "UPDATE pending_documents SET since = now() - interval '30 days 1 minute' WHERE document_id = $1", document_id
    )
    assert await _undelivered_reason(portal_events, sent) == "no_designation"
    assert await waiting() is None


async def test_document_before_its_designation_is_delivered_when_the_designation_comes(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians, documents_db: asyncpg.Pool
) -> None:
    doctor = await physicians.create()
    episode = hospital.episode()
    sent = await episode.document()

    async def waiting() -> bool | None:
        return await documents_db.fetchval(
            "SELECT true FROM pending_documents WHERE document_id = $1", sent["document"]["id"]
        )

    await eventually(waiting, what="the document waiting for its designation")
    await episode.designate(doctor.gln)
    delivered = await portal_events.wait_for("portal.documents.delivered", document_id=sent["document"]["id"])
    assert delivered["physician"] == {"gln": doctor.gln}


async def test_document_without_consent_is_not_delivered(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    episode = hospital.episode()
    await episode.designate(doctor.gln, consent=False)
    sent = await episode.document()
    assert await _undelivered_reason(portal_events, sent) == "no_consent"


@pytest.mark.parametrize(
    ("options", "reason"),
    [({"communicating": False}, "not_communicating"), ({"status": "preliminary"}, "not_final")],
)
async def test_document_that_is_not_for_sending_is_not_delivered(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians, options: dict, reason: str
) -> None:
    doctor = await physicians.create()
    episode = hospital.episode()
    await episode.designate(doctor.gln)
    sent = await episode.document(**options)
    assert await _undelivered_reason(portal_events, sent) == reason


async def test_document_after_revocation_is_not_delivered(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    episode = hospital.episode()
    await episode.designate(doctor.gln)
    await episode.designate(doctor.gln, action="revoke")
    sent = await episode.document()
    assert await _undelivered_reason(portal_events, sent) == "designation_revoked"


async def test_document_for_a_physician_without_account_is_not_delivered(
    hospital: Hospital, portal_events: PortalEvents
) -> None:
    episode = hospital.episode()
    await episode.designate(random_gln())
    sent = await episode.document()
    assert await _undelivered_reason(portal_events, sent) == "physician_unknown"


async def test_document_for_a_pending_account_is_not_delivered(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create(status="pending")
    episode = hospital.episode()
    await episode.designate(doctor.gln)
    sent = await episode.document()
    assert await _undelivered_reason(portal_events, sent) == "physician_not_activated"


async def test_manual_sending_needs_no_designation(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    manual = {"recipient": {"gln": doctor.gln}, "sent_by": "Dr B. Secrétan", "patient_authorization": "oral, 12.11"}
    sent = await hospital.episode().document(manual=manual, communicating=False)
    delivered = await portal_events.wait_for("portal.documents.delivered", document_id=sent["document"]["id"])
    assert delivered["physician"] == {"gln": doctor.gln}


async def test_fake_pdf_is_refused_as_invalid_content(
    stack: Stack, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    counted = dict(consumer="documents", reason="invalid_content")
    before = await metric(stack, "documents", "portal_messages_rejected_total", **counted)
    doctor = await physicians.create()
    episode = hospital.episode()
    await episode.designate(doctor.gln)
    sent = await episode.document(b"<html><script>alert(1)</script></html>")
    assert await _undelivered_reason(portal_events, sent) == "invalid_content"
    rejected = await portal_events.wait_for("portal.rejected", event_id=sent["event_id"])
    assert rejected["subject"] == "dpi.documents"
    await metric_grows(stack, "documents", "portal_messages_rejected_total", before, **counted)
