"""A stand-in for the JetStream message the consumer is handed, for tests of its decisions alone
(the drills and the other tests run it against a real nats-server)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass
class Metadata:
    num_delivered: int = 1
    timestamp: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class FakeMsg:
    """What the consumer uses of a JetStream message: subject, data, reply, metadata, ack and nak."""

    subject: str
    data: bytes
    acked: bool = False
    naked: bool = False
    reply: str = field(default_factory=lambda: f"$JS.ACK.{uuid.uuid4().hex}")
    metadata: Metadata = field(default_factory=Metadata)

    async def ack(self) -> None:
        self.acked = True

    async def nak(self, delay: float | None = None) -> None:
        self.naked = True

    async def in_progress(self) -> None:
        pass


def event_messages(*keys: str, subject: str = "t.event") -> list[FakeMsg]:
    return [FakeMsg(subject, json.dumps({"event_id": f"e{n}", "key": key}).encode()) for n, key in enumerate(keys)]
