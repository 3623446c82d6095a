"""Each process has its own NATS user and may only use its own subjects."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable

import pytest
from nats.aio.client import Client as NATS
from nats.js.api import ConsumerConfig, DeliverPolicy

from common.contracts import audit, identity
from common.contracts.identity import SESSIONS_ENDED
from common.contracts.requests import ANSWER_ARRIVED
from deploy.nats_accounts import DURABLE_CONSUMERS, USERS
from deploy.stack import Stack

from .portal import Physicians, PortalEvents, eventually, metric, metric_grows


async def _violation(stack: Stack, user: str, act: Callable[[NATS], Awaitable[object]]) -> str:
    """Connect as `user`, do `act`, and return the server's refusal."""
    errors: list[Exception] = []

    async def collect(exc: Exception) -> None:
        errors.append(exc)

    nc = await stack.connect_nats(user, on_error=collect)
    try:
        await act(nc)
        await nc.flush()

        async def refused() -> list[Exception] | None:
            return errors or None

        await eventually(refused, timeout=5, what="a permissions violation")
    finally:
        await nc.close()
    return str(errors[0]).lower()


@pytest.mark.parametrize(
    ("user", "subject"),
    [
        ("gateway", "portal.documents.delivered"),  # only documents tells the hospital about deliveries
        ("gateway", "audit.record.identity"),  # no one writes another's audit records
        ("identity", "dpi.documents"),  # only the hospital publishes documents
        ("notify", "documents.api.list"),  # only the gateway asks for a physician's documents
        ("hospital", "portal.documents.delivered"),  # the hospital cannot fake what the portal says
        ("hospital", "identity.api.session.resolve"),
        ("documents", "notify.command.code"),  # only identity asks notify for codes and passwords
        ("hospital", "notify.command.temporary_password"),
        ("gateway", "notify.command.notice"),
        ("documents", "identity.api.session.resolve"),  # it may ask identity's health, nothing else of it
        ("notify", "identity.api.login.password"),  # likewise: its health, and contacts only
        # Only identity says that sessions ended (a forged announcement would end event streams).
        ("gateway", SESSIONS_ENDED.subject),
        ("documents", SESSIONS_ENDED.subject),
        ("hospital", SESSIONS_ENDED.subject),
        # Only the requests service says an answer arrived (a forged one would email a physician).
        ("gateway", ANSWER_ARRIVED.subject),
        ("notify", ANSWER_ARRIVED.subject),
        ("hospital", ANSWER_ARRIVED.subject),
        ("documents", ANSWER_ARRIVED.subject),
        # Only the audit service signs checkpoints and raises the chain's alarm (a forged alarm
        # would have operations chase nothing; a false checkpoint would fail the hospital's check).
        ("hospital", audit.CHECKPOINT),
        ("gateway", audit.ALARM),
        ("documents", audit.ALARM),
        ("hospital", audit.ALARM),
    ],
)
async def test_process_cannot_publish_on_another_process_subject(
    stack: Stack, portal_events: PortalEvents, user: str, subject: str
) -> None:
    event_id = uuid.uuid4().hex
    refusal = await _violation(stack, user, lambda nc: nc.publish(subject, json.dumps({"event_id": event_id}).encode()))
    assert "permissions violation" in refusal and subject.lower() in refusal
    assert not any(body.get("event_id") == event_id for _, body in portal_events.messages)


@pytest.mark.parametrize(
    ("user", "subject"),
    [
        ("gateway", "_INBOX.>"),
        ("hospital", "_INBOX.identity.>"),
        ("notify", "identity.>"),
        ("hospital", "notify.>"),
        # Which sessions end, and whose, is the gateways' business only.
        ("hospital", SESSIONS_ENDED.subject),
        ("documents", SESSIONS_ENDED.subject),
        ("audit", SESSIONS_ENDED.subject),
        # Whose requests were answered is the gateways' business (notify reads its own consumer).
        ("hospital", "requests.events.>"),
        ("notify", ANSWER_ARRIVED.subject),
        ("documents", ANSWER_ARRIVED.subject),
        # The audit's alarm is for the hospital (portal.>) and operations.
        ("gateway", audit.ALARM),
        ("notify", audit.ALARM),
    ],
)
async def test_process_cannot_listen_to_another_process_subjects(stack: Stack, user: str, subject: str) -> None:
    refusal = await _violation(stack, user, lambda nc: nc.subscribe(subject))
    assert "permissions violation" in refusal


def _others_consumers() -> list[tuple[str, str, str]]:
    """(user, stream, durable) for every user and every portal consumer it does not own."""
    return [
        (user, stream, durable)
        for (stream, durable), owner in DURABLE_CONSUMERS.items()
        for user in USERS
        if user != owner and user != "ops"
    ]


@pytest.mark.parametrize(("user", "stream", "durable"), _others_consumers())
async def test_no_one_drains_or_acks_another_party_s_consumer(
    stack: Stack, user: str, stream: str, durable: str
) -> None:
    """The hospital could fetch from notify's `notify-delivered` and ack it, silently stopping
    every "new document" email (issue 12, M1): a consumer is its owner's alone."""
    for subject in (
        f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}",
        f"$JS.ACK.{stream}.{durable}.1.1.1.1700000000000000000.0",
        f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.{durable}",
        f"$JS.API.CONSUMER.CREATE.{stream}.{durable}.{stream.lower()}.>",
    ):
        refusal = await _violation(stack, user, lambda nc, subject=subject: nc.publish(subject, b"{}"))
        assert "permissions violation" in refusal and subject.lower() in refusal


def test_the_consumer_table_names_the_services_own_durables() -> None:
    from services.audit.app import DURABLE as AUDIT_DURABLE
    from services.documents.receiving import CONSUMER as DOCUMENTS_DURABLE
    from services.notify.app import ANSWERED_DURABLE, DELIVERED_DURABLE
    from services.notify.commands import CONSUMER as COMMANDS_DURABLE
    from services.requests.directory import CONSUMER as REQUESTS_DURABLE

    assert DURABLE_CONSUMERS == {
        ("DPI", DOCUMENTS_DURABLE): "documents",
        ("DPI", REQUESTS_DURABLE): "requests",
        ("AUDIT", AUDIT_DURABLE): "audit",
        ("PORTAL", DELIVERED_DURABLE): "notify",
        ("REQUESTS", ANSWERED_DURABLE): "notify",
        ("NOTIFY", COMMANDS_DURABLE): "notify",
    }


async def test_a_stream_s_message_delivered_on_a_request_subject_does_nothing(stack: Stack) -> None:
    """The hospital may create push consumers of its own on PORTAL, and NATS does not check a push
    consumer's delivery subject against its creator's permissions: it can have the server deliver
    the portal's events on any service's request subject. A service takes no such message for a
    request: it has no caller's inbox to answer (its reply is `$JS.ACK.…`)."""
    subject = identity.LOG_IN_WITH_PASSWORD.subject
    before = await metric(stack, "identity", "portal_requests_ignored_total", endpoint=subject)
    hospital, documents = await stack.connect_nats("hospital"), await stack.connect_nats("documents")
    probe = uuid.uuid4().hex[:8]
    durable, probed = f"hospital-probe-{probe}", f"portal.documents.probe_{probe}"  # no one else's events
    try:
        await hospital.jetstream().add_consumer(
            "PORTAL",
            ConsumerConfig(
                durable_name=durable,
                deliver_subject=subject,
                deliver_group="q",  # the queue group of nats micro endpoints
                filter_subject=probed,
                deliver_policy=DeliverPolicy.NEW,
            ),
        )
        await documents.jetstream().publish(probed, b'{"login": "x", "password": "y"}')
        await metric_grows(stack, "identity", "portal_requests_ignored_total", before, endpoint=subject)
    finally:  # the consumer stays: no one may delete another's, and its subject is the test's own
        await hospital.close()
        await documents.close()


async def test_a_request_with_no_caller_s_inbox_does_nothing(stack: Stack, physicians: Physicians) -> None:
    """Nor a message with no reply at all: its effects would happen with no one to tell."""
    doctor = await physicians.create()
    ask = identity.PasswordLogin(login=doctor.login, password=doctor.password)
    subject = identity.LOG_IN_WITH_PASSWORD.subject
    before = await metric(stack, "identity", "portal_requests_ignored_total", endpoint=subject)
    assert physicians.gateway is not None
    await physicians.gateway.publish(subject, ask.model_dump_json().encode())  # no reply to answer
    await metric_grows(stack, "identity", "portal_requests_ignored_total", before, endpoint=subject)
    assert physicians.pool is not None
    assert not await physicians.pool.fetchval(
        "SELECT count(*) FROM login_challenges WHERE account_id = $1", uuid.UUID(doctor.account_id)
    )
