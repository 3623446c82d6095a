"""An outage is not bad input: the consumer waits it out and never counts it against a message.

The consumer's decisions, one at a time (the drills show the same on real processes: the
database stopped, nats-server killed, services killed).
"""

from __future__ import annotations

import ssl

import asyncpg
import nats.errors
import pytest
from pydantic import BaseModel

from common.consumed import MAX_DELIVERIES, Route
from common.consumer import MAX_ATTEMPTS, DurableConsumer
from common.errors import InternalError, InvalidRequest, ServiceUnavailable
from common.outages import BUS, DATABASE, SERVICE, Outages, dependency_of

from .jetstream_fakes import FakeMsg, event_messages


class Event(BaseModel):
    event_id: str
    key: str


def quick_outages() -> Outages:
    return Outages(alert_after_seconds=60, first_wait=0.001, longest_wait=0.001)


def failing(times: int, exc: Exception, calls: list[str]):  # type: ignore[no-untyped-def]
    """A handler that raises `exc` `times` times, then succeeds."""

    async def handle(message: Event) -> None:
        calls.append(message.event_id)
        if len(calls) <= times:
            raise exc

    return handle


def consumer(handle, on_reject, outages: Outages) -> DurableConsumer:  # type: ignore[no-untyped-def]
    return DurableConsumer(
        None,  # type: ignore[arg-type]  # process_batch never fetches
        stream="S",
        durable="d",
        filter_subject="t.>",
        routes={"t.event": Route(Event, handle)},
        on_reject=on_reject,
        outages=outages,
        retry_wait=lambda failures: 0.001,
    )


@pytest.mark.parametrize(
    ("exc", "dependency"),
    [
        (asyncpg.CannotConnectNowError("the database system is starting up"), DATABASE),
        (asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"), DATABASE),
        (asyncpg.InterfaceError("pool is closing"), DATABASE),
        (asyncpg.InterfaceError("cannot perform operation: connection is closed"), DATABASE),
        (asyncpg.InternalClientError("unexpected"), DATABASE),
        (asyncpg.AdminShutdownError("terminating connection due to administrator command"), DATABASE),
        (asyncpg.TooManyConnectionsError("too many"), DATABASE),
        (FileNotFoundError(2, "No such file or directory"), DATABASE),  # its socket, while it restarts
        (ConnectionRefusedError(111, "refused"), DATABASE),
        (nats.errors.NoRespondersError(), BUS),
        (nats.errors.ConnectionClosedError(), BUS),
        (nats.errors.TimeoutError(), BUS),
        (ServiceUnavailable("no answer on identity.svc.contact"), SERVICE),
    ],
)
def test_what_an_outage_is(exc: Exception, dependency: str) -> None:
    assert dependency_of(exc) == dependency


def test_a_failure_caused_by_an_outage_is_one() -> None:
    try:
        try:
            raise nats.errors.NoServersError()
        except nats.errors.Error as cause:
            raise RuntimeError("2 of 9 messages not published") from cause
    except RuntimeError as wrapped:
        assert dependency_of(wrapped) == BUS


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("bad"),
        KeyError("x"),
        InvalidRequest("no"),
        asyncpg.UniqueViolationError("dup"),
        asyncpg.CharacterNotInRepertoireError("NUL"),
        asyncpg.DataError("bad value"),
        InternalError("internal error"),  # a bug in the service asked: asking again fails the same way
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
        PermissionError(13, "Permission denied"),
        ssl.SSLCertVerificationError("certificate has expired"),
    ],
)
def test_a_failure_on_the_content_is_not_an_outage(exc: Exception) -> None:
    assert dependency_of(exc) is None


async def test_an_outage_longer_than_the_attempts_is_waited_out_and_rejects_nothing() -> None:
    calls: list[str] = []
    rejected: list[str] = []

    async def on_reject(subject: str, event_id: str | None, reason: str) -> None:
        rejected.append(reason)

    outages = quick_outages()
    handle = failing(4 * MAX_ATTEMPTS, asyncpg.CannotConnectNowError("starting up"), calls)
    [msg] = event_messages("a")
    await consumer(handle, on_reject, outages).process_batch([msg])  # type: ignore[list-item]
    assert len(calls) == 4 * MAX_ATTEMPTS + 1 and rejected == []
    assert msg.acked and not msg.naked
    assert outages.away() == {}  # the outage is over once the message went through


async def test_a_message_that_keeps_failing_on_its_content_is_rejected_after_the_attempts() -> None:
    calls: list[str] = []
    rejected: list[str] = []

    async def on_reject(subject: str, event_id: str | None, reason: str) -> None:
        rejected.append(f"{event_id}: {reason}")

    [msg] = event_messages("a")
    await consumer(failing(100, ValueError("bad"), calls), on_reject, quick_outages()).process_batch([msg])  # type: ignore[list-item]
    assert len(calls) == MAX_ATTEMPTS and rejected == ["e0: processing failed"]
    assert msg.acked


async def test_a_rejection_is_acknowledged_only_once_recorded_through_an_outage() -> None:
    attempts: list[bool] = []
    msg = FakeMsg("t.event", b"not json")

    async def on_reject(subject: str, event_id: str | None, reason: str) -> None:
        attempts.append(msg.acked)  # never acked while recording
        if len(attempts) < 3:
            raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")

    await consumer(failing(0, ValueError(), []), on_reject, quick_outages()).process_batch([msg])  # type: ignore[list-item]
    assert attempts == [False, False, False] and msg.acked


async def test_a_rejection_that_cannot_be_recorded_is_not_acknowledged() -> None:
    msg = FakeMsg("t.event", b"not json")

    async def on_reject(subject: str, event_id: str | None, reason: str) -> None:
        raise RuntimeError("a bug in recording")

    await consumer(failing(0, ValueError(), []), on_reject, quick_outages()).process_batch([msg])  # type: ignore[list-item]
    assert not msg.acked and msg.naked  # it comes back, and nothing was lost


async def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends(caplog: pytest.LogCaptureFixture) -> None:
    outages = Outages(alert_after_seconds=0.05, first_wait=0.01, longest_wait=0.01)
    failures = iter(range(20))

    async def attempt() -> str:
        if next(failures) < 19:
            raise asyncpg.CannotConnectNowError("starting up")
        return "done"

    with caplog.at_level("WARNING", logger="outages"):
        assert await outages.retry(attempt) == "done"
    lines = [record.getMessage() for record in caplog.records if record.name == "outages"]
    assert len(lines) == 3, lines
    assert lines[0].startswith("outage: database unavailable")
    assert lines[1].startswith("ALERT outage: database unavailable for")
    assert lines[2].startswith("outage over: database back after")


async def test_a_message_delivered_too_often_is_set_aside_even_in_a_batch() -> None:
    rejected: list[str] = []
    handled: list[str] = []

    async def on_reject(subject: str, event_id: str | None, reason: str) -> None:
        rejected.append(f"{event_id}: {reason}")

    async def batch(items: list[tuple[str, BaseModel]]) -> None:
        handled.extend(message.event_id for _, message in items)  # type: ignore[attr-defined]

    fine, worn = event_messages("a", "b")
    worn.metadata.num_delivered = MAX_DELIVERIES + 1
    consumer = DurableConsumer(
        None,  # type: ignore[arg-type]
        stream="S",
        durable="d",
        filter_subject="t.>",
        routes={"t.event": Route(Event, failing(0, ValueError(), []))},
        on_reject=on_reject,
        outages=quick_outages(),
        handle_batch=batch,
    )
    await consumer.process_batch([fine, worn])  # type: ignore[list-item]
    assert handled == ["e0"] and rejected == [f"e1: processing failed (delivered {MAX_DELIVERIES + 1} times)"]
    assert fine.acked and worn.acked
