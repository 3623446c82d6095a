"""The audit service watching its own chain, on its schedule.

- Every `PORTAL_AUDIT_CHECKPOINT_SECONDS`, the records added since the last checkpoint are checked
  (they follow it), then the head is signed, kept in `checkpoints` and published on
  `portal.audit.checkpoint` (through the outbox, in the same transaction). Nothing new, no checkpoint.
- Every `PORTAL_AUDIT_VERIFY_SECONDS`, the whole chain is checked against the kept checkpoints
  (services/audit/verification.py).

A broken chain raises the alarm: an ERROR log line, and a `ChainAlarm` on `portal.audit.alarm`
(published directly, not through the outbox: the database is what is in doubt), at each check
until it is repaired; no checkpoint is signed meanwhile.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import asyncpg
from nats.js import JetStreamContext

from common import metrics
from common.codec import encode
from common.contracts.audit import ALARM, CHECKPOINT, ChainAlarm, Checkpoint
from common.outbox import OutboxRelay, enqueue

from . import verification
from .signing import CheckpointSigner

log = logging.getLogger(__name__)

CHECKPOINT_LOCK = "audit:checkpoint"


class ChainWatch:
    def __init__(self, pool: asyncpg.Pool, relay: OutboxRelay, js: JetStreamContext, signer: CheckpointSigner) -> None:
        self._pool = pool
        self._relay = relay
        self._js = js
        self._signer = signer

    async def checkpoint(self) -> Checkpoint | None:
        """Sign the head if it moved since the last checkpoint and what was added follows it;
        the checkpoint signed, or None (nothing new, or the chain broken: the alarm raised)."""
        async with self._relay.transaction() as conn:
            # One copy at a time; appends go on meanwhile (what is signed is the head read here).
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", CHECKPOINT_LOCK)
            head = await conn.fetchrow("SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1")
            if head is None:
                return None
            kept = await conn.fetchrow(
                "SELECT seq, hash, signed_at, key_id, signature FROM checkpoints ORDER BY id DESC LIMIT 1"
            )
            last = None if kept is None else verification.kept_checkpoint(kept)
            if last is not None and last.seq == head["seq"] and last.hash == bytes(head["hash"]).hex():
                return None
            report = await verification.since(conn, last, [self._signer.public], until=head["seq"])
            if not report.ok:
                broken = report
            else:
                checkpoint = self._signer.sign(head["seq"], bytes(head["hash"]), datetime.now(UTC))
                await conn.execute(
                    "INSERT INTO checkpoints (seq, hash, signed_at, key_id, signature) VALUES ($1, $2, $3, $4, $5)",
                    checkpoint.seq,
                    bytes(head["hash"]),
                    checkpoint.signed_at,
                    checkpoint.key_id,
                    checkpoint.signature,
                )
                await enqueue(conn, CHECKPOINT, checkpoint, msg_id=f"audit-checkpoint:{checkpoint.seq}")
                log.info("audit checkpoint signed at record %s", checkpoint.seq)
                return checkpoint
        await self.alarm(broken)
        return None

    async def check(self) -> verification.Report:
        """The whole chain against the kept checkpoints; the alarm if it is broken."""
        async with self._pool.acquire() as conn:
            report = await verification.check_all(conn, keys=[self._signer.public])
        if report.ok:
            metrics.AUDIT_CHAIN_BROKEN.set(0)
            log.info(
                "audit chain verified: %s records, %s checkpoints, head %s",
                report.records,
                report.checkpoints,
                report.head_seq,
            )
        else:
            await self.alarm(report)
        return report

    async def alarm(self, report: verification.Report) -> None:
        """An ERROR log line and a message on `portal.audit.alarm` (JetStream, PORTAL stream)."""
        first = report.first
        assert first is not None
        metrics.AUDIT_CHAIN_BROKEN.set(1)
        more = len(report.findings) - 1
        log.error(
            "ALERT audit chain broken at record %s (%s): %s%s",
            first.seq,
            first.problem,
            first.description,
            f" (and {more} more finding(s))" if more else "",
        )
        alarm = ChainAlarm(problem=first.problem, seq=first.seq, description=first.description[:500])
        await self._js.publish(ALARM, encode(alarm), headers={"Nats-Msg-Id": f"audit-alarm:{alarm.event_id}"})
