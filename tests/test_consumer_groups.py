"""A durable consumer hands a key's run of messages to its group handler at once (one
transaction), and falls back to one message at a time when the run fails."""

from __future__ import annotations

from pydantic import BaseModel

from common.consumed import Route
from common.consumer import DurableConsumer
from common.outages import Outages

from .jetstream_fakes import event_messages as messages


class Event(BaseModel):
    event_id: str
    key: str


def consumer(calls: list[tuple[str, list[str]]], group_fails: bool = False) -> DurableConsumer:
    async def single(message: Event) -> None:
        calls.append(("single", [message.event_id]))

    async def group(batch: list[tuple[str, BaseModel]]) -> None:
        if group_fails:
            raise ValueError("one of them is bad")
        calls.append(("group", [message.event_id for _, message in batch]))  # type: ignore[attr-defined]

    async def on_reject(subject: str, event_id: str | None, reason: str) -> None:
        calls.append(("rejected", [event_id or ""]))

    return DurableConsumer(
        None,  # type: ignore[arg-type]  # process_batch never fetches
        stream="S",
        durable="d",
        filter_subject="t.>",
        routes={"t.event": Route(Event, single, key=lambda message: message.key)},
        on_reject=on_reject,
        concurrency=4,
        handle_group=group,
        outages=Outages(),
    )


async def test_a_keys_run_goes_to_the_group_handler_in_stream_order() -> None:
    calls: list[tuple[str, list[str]]] = []
    batch = messages("a", "b", "a", "a")
    await consumer(calls).process_batch(batch)  # type: ignore[arg-type]
    assert sorted(calls) == [("group", ["e0", "e2", "e3"]), ("single", ["e1"])]
    assert all(msg.acked for msg in batch)


async def test_a_failed_run_is_handled_one_message_at_a_time() -> None:
    calls: list[tuple[str, list[str]]] = []
    batch = messages("a", "a", "a")
    await consumer(calls, group_fails=True).process_batch(batch)  # type: ignore[arg-type]
    assert calls == [("single", ["e0"]), ("single", ["e1"]), ("single", ["e2"])]
    assert all(msg.acked and not msg.naked for msg in batch)
