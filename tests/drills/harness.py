"""What every drill does: publish a burst as the hospital, through faults, then count what came of it.

The hospital's side publishes with `Nats-Msg-Id` = event_id and publishes again whatever the
stream did not acknowledge (an outage of NATS is the hospital's to ride out too). What counts
is then read where it lives: deliveries and rejections in the documents schema, audit records
in the audit chain, emails in notify's ledger and in the mail sink, and the delivered events in
the PORTAL stream, as the hospital reads them.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
from nats.aio.client import Client as NATS
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from common.contracts import hospital as contract
from deploy import hospital_sim
from deploy.database import with_database
from deploy.nats_accounts import DURABLE_CONSUMERS
from deploy.stack import Stack

from ..portal import Physician, Physicians, eventually

if TYPE_CHECKING:
    from .conftest import Drilled

REPORT: list[Figures] = []
"""Every drill's figures, printed at the end of the test run (conftest's terminal summary)."""

ACK_DEADLINE = 3.0
_PDF = hospital_sim.make_pdf("Exercice", ["Document d'un exercice de panne."])


@dataclass
class Figures:
    """What a drill prints: published, delivered, duplicated, lost, rejected, recovery time."""

    drill: str
    published: int = 0
    delivered: int = 0
    duplicated: int = 0
    lost: int = 0
    rejected: int = 0
    recovery_seconds: float = 0.0
    notes: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        extra = "".join(f", {name} {value}" for name, value in self.notes.items())
        return (
            f"{self.drill}: published {self.published}, delivered {self.delivered}, duplicated {self.duplicated}, "
            f"lost {self.lost}, rejected {self.rejected}, recovery {self.recovery_seconds:.1f} s{extra}"
        )


@dataclass
class Burst:
    """Documents spread over episodes, each episode designating one of a few physicians."""

    doctors: list[Physician]
    episodes: int
    documents: int
    messages: list[dict[str, Any]] = field(default_factory=list)
    _episodes: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for number in range(self.episodes):
            family, given, birth, sex = hospital_sim.PATIENTS[number % len(hospital_sim.PATIENTS)]
            episode = f"EP-DRILL-{uuid.uuid4().hex[:12]}"
            doctor = self.doctors[number % len(self.doctors)]
            self._episodes.append((episode, hospital_sim.patient(family, given, birth, sex), doctor.gln))
        for number in range(self.documents):
            episode, patient, _ = self._episodes[number % self.episodes]
            self.messages.append(hospital_sim.document(episode, patient, _PDF, title=f"Exercice {number}"))

    @property
    def document_ids(self) -> list[str]:
        return [message["document"]["id"] for message in self.messages]

    @property
    def event_ids(self) -> list[str]:
        return [message["event_id"] for message in self.messages]

    def designations(self) -> list[dict[str, Any]]:
        return [hospital_sim.designation(episode, patient, {"gln": gln}) for episode, patient, gln in self._episodes]


async def publish_until_acknowledged(
    nc: NATS, subject: str, messages: list[dict[str, Any]], pipeline: int = 500
) -> None:
    """Publish pipelined; publish again (same Nats-Msg-Id) whatever was not acknowledged, until all are."""
    js = nc.jetstream()
    waiting = list(messages)
    while waiting:
        failed: list[dict[str, Any]] = []
        for start in range(0, len(waiting), pipeline):
            part = waiting[start : start + pipeline]
            acks: list[Any] = []
            for message in part:
                try:
                    acks.append(
                        await js.publish_async(
                            subject, json.dumps(message).encode(), headers={"Nats-Msg-Id": message["event_id"]}
                        )
                    )
                except Exception as exc:  # disconnected: keep it for the next round
                    acks.append(exc)
            # An ack lost with the connection never comes: each is given a deadline.
            results = await asyncio.gather(
                *(asyncio.wait_for(ack, ACK_DEADLINE) for ack in acks if not isinstance(ack, BaseException)),
                return_exceptions=True,
            )
            answers = iter(results)
            for message, ack in zip(part, acks, strict=True):
                outcome = ack if isinstance(ack, BaseException) else next(answers)
                if isinstance(outcome, BaseException):
                    failed.append(message)
        waiting = failed
        if waiting:
            await asyncio.sleep(0.2)


async def publish_burst(nc: NATS, burst: Burst) -> None:
    """The designations first, then the documents, each acknowledged by the DPI stream."""
    await publish_until_acknowledged(nc, contract.DESIGNATIONS, burst.designations())
    await publish_until_acknowledged(nc, contract.DOCUMENTS, burst.messages)


class Ledger:
    """Reads, as an administrator would, what the portal recorded about a burst."""

    def __init__(self, stack: Stack) -> None:
        self._dsn = with_database(stack.admin_database_url, stack.config.database)
        self._outbox = stack.outbox_dir
        self._pool: asyncpg.Pool | None = None

    async def _fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        """One query. The pool keeps no idle connection it must have (min_size 0) and drops one the
        database cut: after an outage the next query opens a new one."""
        if self._pool is None:
            self._pool = await asyncpg.create_pool(self._dsn, min_size=0, max_size=2)
        async with self._pool.acquire() as conn:
            return await conn.fetch(query, *args)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()

    async def deliveries(self, document_ids: list[str]) -> Counter[str]:
        rows = await self._fetch(
            "SELECT document_id, count(*) AS n FROM documents.deliveries WHERE document_id = ANY($1) GROUP BY 1",
            document_ids,
        )
        return Counter({row["document_id"]: row["n"] for row in rows})

    async def rejections(self, event_ids: list[str]) -> int:
        rows = await self._fetch("SELECT count(*) AS n FROM documents.rejections WHERE event_id = ANY($1)", event_ids)
        return int(rows[0]["n"])

    async def undelivered(self, document_ids: list[str]) -> int:
        rows = await self._fetch(
            "SELECT count(*) AS n FROM documents.undelivered WHERE document_id = ANY($1)", document_ids
        )
        return int(rows[0]["n"])

    async def audit_deliveries(self, document_ids: list[str]) -> Counter[str]:
        rows = await self._fetch(
            "SELECT entity_id, count(*) AS n FROM audit.records "
            "WHERE action = 'document.delivered' AND entity_id = ANY($1) GROUP BY 1",
            document_ids,
        )
        return Counter({row["entity_id"]: row["n"] for row in rows})

    async def emails(self, account_ids: list[str]) -> list[asyncpg.Record]:
        """Notify's ledger of the 'new documents' emails to these accounts: one row per email meant."""
        return await self._fetch(
            "SELECT message_id, account_id, state FROM notify.outgoing_emails WHERE account_id = ANY($1::text[])",
            account_ids,
        )

    def received_emails(self) -> Counter[str]:
        """How many times the mail sink received each Message-ID."""
        seen: Counter[str] = Counter()
        for path in Path(self._outbox).glob("*.json"):
            message = json.loads(path.read_text())
            if message["kind"] == "email" and message.get("message_id"):
                seen[message["message_id"]] += 1
        return seen


async def delivered_events(nc: NATS, document_ids: set[str]) -> Counter[str]:
    """`portal.documents.delivered` for these documents, as the hospital reads them from PORTAL.

    As a hospital consumer would, it rides out a cluster that answers slowly (a node just died):
    creating the consumer is tried again, and reading ends when the consumer has nothing pending,
    not at the first empty fetch."""
    js = nc.jetstream()

    async def subscribe() -> Any:
        try:
            return await js.pull_subscribe(
                contract.DELIVERED,
                stream=contract.STREAM_PORTAL,
                config=ConsumerConfig(
                    name=f"hospital-drill-{uuid.uuid4().hex[:8]}",
                    deliver_policy=DeliverPolicy.ALL,
                    ack_policy=AckPolicy.NONE,
                    inactive_threshold=30.0,
                    num_replicas=1,
                    mem_storage=True,
                ),
            )
        except NatsTimeout:
            return None

    subscription = await eventually(subscribe, timeout=60, what="a consumer of portal.documents.delivered")
    seen: Counter[str] = Counter()
    deadline = time.monotonic() + 120
    try:
        while True:
            if time.monotonic() > deadline:
                raise AssertionError("portal.documents.delivered not read to its end within 120 s")
            try:
                batch = await subscription.fetch(1000, timeout=1.0)
            except TimeoutError:  # nats-py's, or asyncio's own when the deadline passes mid-batch
                batch = []
            for msg in batch:
                document_id = json.loads(msg.data)["document_id"]
                if document_id in document_ids:
                    seen[document_id] += 1
            if not batch:
                try:
                    info = await subscription.consumer_info()
                except NatsTimeout:
                    continue
                if info.num_pending == 0:
                    break
    finally:
        await subscription.unsubscribe()
    return seen


CONSUMERS = tuple(DURABLE_CONSUMERS)  # (stream, durable) of every consumer of the portal


async def consumers_idle(ops: NATS) -> bool:
    """Every durable consumer of the portal has nothing left to deliver nor to acknowledge."""
    js = ops.jetstream()
    for stream, durable in CONSUMERS:
        info = await js.consumer_info(stream, durable, timeout=2)
        if info.num_pending or info.num_ack_pending:
            return False
    return True


async def under_way(drilled: Drilled, burst: Burst, share: float) -> None:
    """Wait until `share` of the burst is delivered: the fault lands mid-burst."""

    async def delivered() -> bool | None:
        counts = await drilled.ledger.deliveries(burst.document_ids)
        return True if len(counts) >= share * len(burst.document_ids) else None

    await eventually(delivered, timeout=60, what="the burst under way")


async def settled(drilled: Drilled, burst: Burst, timeout: float) -> float:
    """Every document delivered and audited, every consumer idle, no email left to send; the
    monotonic time it was so."""
    ledger, ids = drilled.ledger, burst.document_ids
    accounts = [doctor.account_id for doctor in burst.doctors]

    async def done() -> float | None:
        try:
            delivered = await ledger.deliveries(ids)
            audited = await ledger.audit_deliveries(ids)
            emails = await ledger.emails(accounts)
            idle = await consumers_idle(drilled.ops)
        except Exception:  # something is still coming back
            return None
        waiting = [row for row in emails if row["state"] in ("pending", "preparing")]
        complete = len(delivered) == len(audited) == len(ids) and emails and not waiting and idle
        return time.monotonic() if complete else None

    return await eventually(done, timeout=timeout, what="the burst delivered, audited and announced")


async def judge(
    drilled: Drilled,
    burst: Burst,
    figures: Figures,
    email_timeout: float = 30.0,
    **notes: object,
) -> None:
    """Count what came of the burst, print and keep the drill's figures (with `notes`), and assert
    that nothing was lost, rejected or done twice, and no email is left in doubt."""
    details = await count(figures, drilled.ledger, drilled.hospital, burst, burst.doctors)
    emails = await email_figures(drilled.ledger, burst.doctors, timeout=email_timeout)
    figures.notes.update(emails)
    figures.notes.update(notes)
    REPORT.append(figures)
    print(figures.line())
    assert_nothing_lost_or_twice(figures, details, emails)
    assert emails["emails uncertain"] == 0, emails


def assert_nothing_lost_or_twice(figures: Figures, details: dict, emails: dict) -> None:
    assert (figures.lost, figures.rejected, figures.duplicated) == (0, 0, 0), (figures.line(), details)
    assert details["events missing"] == 0 and details["audit missing"] == 0, details
    assert emails["emails received twice"] == 0 and emails["emails not received"] == 0, emails
    assert emails["physicians without email"] == 0, emails


async def count(
    figures: Figures, ledger: Ledger, hospital: NATS, burst: Burst, physicians: list[Physician]
) -> dict[str, Any]:
    """Fill the figures from the ledger; return the details the drill asserts on."""
    ids = burst.document_ids
    deliveries = await ledger.deliveries(ids)
    told = await delivered_events(hospital, set(ids))
    audited = await ledger.audit_deliveries(ids)
    figures.published = len(ids)
    figures.delivered = len(deliveries)
    figures.lost = len(ids) - len(deliveries)
    figures.rejected = await ledger.rejections(burst.event_ids) + await ledger.undelivered(ids)
    duplicates = {
        "deliveries": sum(n - 1 for n in deliveries.values() if n > 1),
        "delivered events": sum(n - 1 for n in told.values() if n > 1),
        "audit records": sum(n - 1 for n in audited.values() if n > 1),
    }
    figures.duplicated = sum(duplicates.values())
    return {
        "events missing": len(set(ids) - set(told)),
        "audit missing": len(set(ids) - set(audited)),
        "duplicates": duplicates,
    }


async def email_figures(ledger: Ledger, physicians: list[Physician], timeout: float = 30) -> dict[str, int]:
    """Every 'new documents' email notify meant for these physicians, sent once and received once."""
    accounts = [doctor.account_id for doctor in physicians]

    async def settled() -> list[asyncpg.Record] | None:
        rows = await ledger.emails(accounts)
        return rows if rows and all(row["state"] in ("sent", "uncertain") for row in rows) else None

    rows = await eventually(settled, timeout=timeout, what="every email sent")
    received = ledger.received_emails()
    sent = [row for row in rows if row["state"] == "sent"]
    uncertain = [row for row in rows if row["state"] == "uncertain"]
    return {
        "emails meant": len(rows),
        "emails sent": len(sent),
        "emails received twice": sum(1 for row in rows if received.get(row["message_id"], 0) > 1),
        "emails not received": sum(1 for row in sent if received.get(row["message_id"], 0) == 0),
        "physicians without email": len(
            {doctor.account_id for doctor in physicians} - {row["account_id"] for row in rows}
        ),
        "emails uncertain": len(uncertain),
        "of which received": sum(1 for row in uncertain if received.get(row["message_id"], 0)),
    }


async def create_doctors(registry: Physicians, count: int) -> list[Physician]:
    return [await registry.create() for _ in range(count)]
