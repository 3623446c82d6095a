"""The hospital's side of the bus, as the benchmark drives it: contract messages built ahead of
time, published pipelined with `Nats-Msg-Id` = event_id, and what the portal publishes back read
from the PORTAL stream with a pull consumer, as the hospital's own systems would."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from common.contracts import hospital as contract
from deploy import hospital_sim

KIB = 1024
PULL_BATCH = 1000
PULL_EXPIRES = 1.0  # seconds a pull request waits on the server
_BASE_PDF = hospital_sim.make_pdf("Lettre de sortie", ["Document du banc d'essai du portail."])


def pdf_of_size(size: int) -> bytes:
    """A real PDF padded to exactly `size` bytes with a random comment after %%EOF (readers ignore it)."""
    padding = size - len(_BASE_PDF) - 2
    if padding < 0:
        raise ValueError(f"a PDF cannot be smaller than {len(_BASE_PDF) + 2} bytes here")
    return _BASE_PDF + b"\n%" + os.urandom(padding // 2 + 1).hex().encode()[:padding]


@dataclass(frozen=True)
class Outgoing:
    """One `dpi.documents` message, encoded before the clock starts."""

    document_id: str
    event_id: str
    payload: bytes


@dataclass
class Episodes:
    """A few episodes of patients designating one physician."""

    gln: str
    count: int
    ids: list[str] = field(default_factory=list)
    patients: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for number in range(self.count):
            family, given, birth, sex = hospital_sim.PATIENTS[number % len(hospital_sim.PATIENTS)]
            self.ids.append(f"EP-BENCH-{uuid.uuid4().hex[:12]}")
            self.patients.append(hospital_sim.patient(family, given, birth, sex))

    async def designate(self, js: JetStreamContext) -> None:
        for episode_id, patient in zip(self.ids, self.patients, strict=True):
            await hospital_sim.publish(
                js, contract.DESIGNATIONS, hospital_sim.designation(episode_id, patient, {"gln": self.gln})
            )

    def documents(self, count: int, size: int) -> list[Outgoing]:
        """`count` documents of `size` bytes, spread over the episodes in turn."""
        built = []
        for number in range(count):
            episode = number % self.count
            message = hospital_sim.document(
                self.ids[episode],
                self.patients[episode],
                pdf_of_size(size),
                category="lab_report",
                title=f"Résultats {number}",
            )
            built.append(Outgoing(message["document"]["id"], message["event_id"], json.dumps(message).encode()))
        return built


async def publish_pipelined(js: JetStreamContext, messages: list[Outgoing]) -> None:
    """Publish everything without waiting for each ack, then check every ack."""
    futures = [
        await js.publish_async(contract.DOCUMENTS, m.payload, headers={"Nats-Msg-Id": m.event_id}) for m in messages
    ]
    acks = await asyncio.gather(*futures, return_exceptions=True)
    failed = [ack for ack in acks if isinstance(ack, BaseException)]
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(messages)} publishes not acknowledged ({failed[0]!r})")


async def publish_one(js: JetStreamContext, message: Outgoing) -> asyncio.Future[Any]:
    """Send one message now; the returned future completes with the stream's ack."""
    return await js.publish_async(contract.DOCUMENTS, message.payload, headers={"Nats-Msg-Id": message.event_id})


@dataclass
class Deliveries:
    """`portal.documents.*` as the hospital reads them: when each document's outcome was seen (monotonic).

    A pull consumer kept supplied with pull requests, each message timestamped as it arrives.
    (nats-py's `fetch(n)` would hold a partial batch until its timeout, adding up to that
    timeout to what is measured.)
    """

    delivered: dict[str, float] = field(default_factory=dict)
    stored: dict[str, float] = field(default_factory=dict)  # wall clock the event entered PORTAL (server's)
    undelivered: dict[str, str] = field(default_factory=dict)
    _progress: asyncio.Event = field(default_factory=asyncio.Event)

    @contextlib.asynccontextmanager
    async def following(self, nc: NATS) -> AsyncIterator[Deliveries]:
        name = f"bench-{uuid.uuid4().hex[:10]}"
        await nc.jetstream().add_consumer(
            contract.STREAM_PORTAL,
            ConsumerConfig(
                name=name,
                filter_subject="portal.documents.>",
                deliver_policy=DeliverPolicy.NEW,
                ack_policy=AckPolicy.NONE,
                inactive_threshold=30.0,  # the hospital user may not delete consumers: let it expire
            ),
        )
        next_subject = f"$JS.API.CONSUMER.MSG.NEXT.{contract.STREAM_PORTAL}.{name}"
        inbox = nc.new_inbox()
        received = 0

        async def ask() -> None:
            request = {"batch": PULL_BATCH, "expires": int(PULL_EXPIRES * 1e9)}
            await nc.publish(next_subject, json.dumps(request).encode(), reply=inbox)

        async def on_message(msg: Msg) -> None:
            nonlocal received
            seen = time.monotonic()
            if msg.headers and "Status" in msg.headers:  # a pull request ended (expired, ...)
                return
            body = json.loads(msg.data)
            if msg.subject == contract.DELIVERED:
                self.delivered.setdefault(body["document_id"], seen)
                with contextlib.suppress(Exception):
                    self.stored.setdefault(body["document_id"], msg.metadata.timestamp.timestamp())
            elif msg.subject == contract.UNDELIVERED:
                self.undelivered.setdefault(body["document_id"], body.get("reason", "?"))
            self._progress.set()
            received += 1
            if received % (PULL_BATCH // 2) == 0:
                await ask()  # keep requests ahead of a fast stream

        async def keep_asking() -> None:
            while True:  # requests overlap: one is always waiting on the server
                await ask()
                await asyncio.sleep(PULL_EXPIRES / 2)

        subscription = await nc.subscribe(inbox, cb=on_message, pending_msgs_limit=1_000_000)
        asker = asyncio.create_task(keep_asking())
        try:
            yield self
        finally:
            asker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asker
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()

    def outcomes(self, ids: set[str]) -> int:
        return sum(1 for i in ids if i in self.delivered or i in self.undelivered)

    async def wait_for(self, ids: set[str], timeout: float) -> bool:
        """Until every document of `ids` has an outcome (True), or the deadline (False)."""
        deadline = time.monotonic() + timeout
        remaining = set(ids)
        while True:
            remaining = {i for i in remaining if i not in self.delivered and i not in self.undelivered}
            if not remaining:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._progress.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._progress.wait(), min(left, 1.0))
