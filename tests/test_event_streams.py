"""The event streams of one gateway copy: a few per account, the oldest giving way to a new one;
those of a session identity ended told to end; a stream whose session expired ending at its
next check of the session."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import ExitStack

import pytest

from common.contracts.requests import AnswerArrived
from gateway.live import MAX_STREAMS_PER_ACCOUNT, DeliveryFeed
from gateway.views import events


def test_a_stream_beyond_the_limit_takes_the_place_of_the_account_s_oldest() -> None:
    feed = DeliveryFeed()
    with ExitStack() as open_streams:
        mine = [open_streams.enter_context(feed.listen("a1", f"s{n % 2}")) for n in range(MAX_STREAMS_PER_ACCOUNT)]
        someone_else = open_streams.enter_context(feed.listen("a2", "s9"))
        newest = open_streams.enter_context(feed.listen("a1", "s1"))
        assert mine[0].get_nowait() == "superseded"
        assert all(queue.empty() for queue in [*mine[1:], someone_else, newest])
        feed.delivered("a1")
        assert mine[0].empty()  # no longer told anything
        assert [queue.get_nowait() for queue in [*mine[1:], newest]] == ["delivered"] * MAX_STREAMS_PER_ACCOUNT
        assert someone_else.empty()


def test_the_streams_of_an_ended_session_end_and_no_other() -> None:
    feed = DeliveryFeed()
    with feed.listen("a1", "s1") as ended, feed.listen("a1", "s2") as other, feed.listen("a2", "s1") as elsewhere:
        feed.delivered("a1")  # a signal not read yet gives way to the last word
        feed.sessions_ended("a1", {"s1"})
        assert ended.get_nowait() == "ended" and ended.empty()
        feed.delivered("a1")
        assert ended.empty() and other.get_nowait() == other.get_nowait() == "delivered"
        assert elsewhere.empty()


async def test_a_stream_whose_session_expired_ends_at_its_next_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events, "SESSION_CHECK_SECONDS", 0.05)
    monkeypatch.setattr(events, "KEEP_ALIVE_SECONDS", 0.02)
    written: list[bytes] = []
    checks: list[bool] = []

    class Browser:
        async def write(self, data: bytes) -> None:
            written.append(data)

    async def session_lives() -> bool:
        checks.append(not checks)  # alive at the first check, expired at the second
        return checks[-1]

    await asyncio.wait_for(events._stream(Browser(), asyncio.Queue(), session_lives), timeout=5)  # type: ignore[arg-type]
    assert checks == [True, False] and events.KEEP_ALIVE in written and events.DELIVERED not in written


def test_an_answer_is_told_to_its_physician_s_streams_only() -> None:
    feed = DeliveryFeed()
    mine, theirs = "6f1c4a52-3c5e-4a57-9a55-0d7e2b4d8f10", "0b8e5c0a-8a3e-4d0f-bb3e-7d8c1c2e9a41"
    with feed.listen(mine, "s1") as listening, feed.listen(theirs, "s2") as elsewhere:
        arrived = AnswerArrived(event_id="e1", request_id=uuid.uuid4(), account_id=uuid.UUID(mine), physician="gln:1")
        feed.answered(arrived)
        assert listening.get_nowait() == "answered" and listening.empty() and elsewhere.empty()
