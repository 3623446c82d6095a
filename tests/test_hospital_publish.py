"""The hospital simulator publishes as CONTRACT.md asks a hospital system to: with the event's id as
Nats-Msg-Id, and again under the same id while JetStream's acknowledgement does not come in time
(a busy server: the stream keeps the message once). A run on a loaded machine failed a burst of
2,000 documents on one such timeout."""

from __future__ import annotations

from typing import Any

import nats.errors
import pytest

from deploy import hospital_sim


class BusyStream:
    """A JetStream context whose first acknowledgements do not come in time."""

    def __init__(self, timeouts: int) -> None:
        self.timeouts = timeouts
        self.sent: list[tuple[str, bytes, dict[str, str]]] = []

    async def publish(self, subject: str, data: bytes, headers: dict[str, str]) -> Any:
        self.sent.append((subject, data, headers))
        if len(self.sent) <= self.timeouts:
            raise nats.errors.TimeoutError
        return object()


@pytest.mark.unit
async def test_a_publication_without_acknowledgement_is_sent_again_under_the_same_id() -> None:
    stream = BusyStream(timeouts=2)
    await hospital_sim.publish(stream, "dpi.services", {"event_id": "e-1", "x": 1})
    assert len(stream.sent) == 3
    assert {headers["Nats-Msg-Id"] for _, _, headers in stream.sent} == {"e-1"}
    assert len({data for _, data, _ in stream.sent}) == 1


@pytest.mark.unit
async def test_a_server_that_never_acknowledges_is_an_error_after_the_last_attempt() -> None:
    stream = BusyStream(timeouts=hospital_sim.PUBLISH_ATTEMPTS)
    with pytest.raises(nats.errors.TimeoutError):
        await hospital_sim.publish(stream, "dpi.services", {"event_id": "e-2"})
    assert len(stream.sent) == hospital_sim.PUBLISH_ATTEMPTS
