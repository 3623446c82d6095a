"""Checking the chain: every record against its hash and the one before it, and the head at each
signed checkpoint, so that a record changed, removed or inserted, and a chain rewritten whole,
are each found and named.

One pass over the records in order (`walk`). What it finds, the first bad record first:

- `altered`: a record's contents no longer give its hash (changed after it was written);
- `inserted`: records that the next one skips, linking to the record before them;
- `unlinked`: a record that does not follow the one before it (a record between them removed,
  or one of them changed and its hash written again);
- `rewritten`: the record a checkpoint names has another hash than the one signed (the chain
  rewritten, hashes and all, up to there);
- `missing`: no record with the sequence number a checkpoint names (the newest records removed,
  or the chain renumbered);
- `bad_checkpoint`: a checkpoint whose signature does not verify (forged or changed).

Gaps in the sequence numbers are normal (an append rolled back uses a number): only the links count.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import asyncpg

from common.contracts.audit import ChainProblem, Checkpoint
from common.db import Connection

from .chain import GENESIS, Entry, link
from .signing import CheckpointKey

RECENT = 1024
"""How many of the latest hashes the walk remembers, to name records inserted between two (up to
that many in a row); a longer insertion is still found, as a record that does not follow."""


@dataclass(frozen=True)
class Finding:
    problem: ChainProblem
    seq: int
    description: str

    def __str__(self) -> str:
        return self.description


@dataclass
class Report:
    """What a check found: how much it read, and its findings, the first bad record first."""

    records: int = 0
    head_seq: int | None = None
    head_hash: bytes | None = None
    checkpoints: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first(self) -> Finding | None:
        return min(self.findings, key=lambda finding: finding.seq) if self.findings else None


@dataclass(frozen=True)
class Start:
    """Where a walk begins: the genesis, or a record already verified (seq and hash)."""

    seq: int = 0
    hash: bytes = GENESIS


class _Checkpoints:
    """The checkpoints to hold the chain to, by the record they name, their signatures checked once."""

    def __init__(self, checkpoints: Iterable[Checkpoint], keys: list[CheckpointKey] | None) -> None:
        self.by_seq: dict[int, list[Checkpoint]] = {}
        self.findings: list[Finding] = []
        self.count = 0
        for checkpoint in checkpoints:
            self.count += 1
            if keys is not None and not any(key.verifies(checkpoint) for key in keys):
                self.findings.append(
                    Finding(
                        "bad_checkpoint",
                        checkpoint.seq,
                        f"the checkpoint of record {checkpoint.seq} signed at {checkpoint.signed_at} "
                        f"does not verify with the key{'s' if len(keys) != 1 else ''} given "
                        f"(key id {checkpoint.key_id}): forged or changed",
                    )
                )
                continue
            self.by_seq.setdefault(checkpoint.seq, []).append(checkpoint)

    def match(self, seq: int, hash_: bytes) -> Finding | None:
        for checkpoint in self.by_seq.pop(seq, ()):
            if checkpoint.hash != hash_.hex():
                return Finding(
                    "rewritten",
                    seq,
                    f"record {seq} is not the one signed at {checkpoint.signed_at}: its hash differs from the "
                    f"checkpoint's, so the chain was rewritten up to it (after the previous checkpoint)",
                )
        return None

    def unmatched(self, after: int) -> list[Finding]:
        """Checkpoints naming a record that the walk did not meet (after its start)."""
        return [
            Finding(
                "missing",
                seq,
                f"record {seq}, signed at {checkpoints[0].signed_at}, is not in the log: records were "
                "removed from its end, or the chain renumbered",
            )
            for seq, checkpoints in sorted(self.by_seq.items())
            if seq > after
        ]


async def walk(
    conn: Connection,
    checkpoints: Iterable[Checkpoint] = (),
    keys: list[CheckpointKey] | None = None,
    start: Start = Start(),
    until: int | None = None,
) -> Report:
    """Check the records after `start` (up to `until`) in one pass, in the caller's transaction
    (a cursor needs one); the checkpoints are held to the records they name, and, with `keys`,
    their signatures are checked."""
    held = _Checkpoints(checkpoints, keys)
    report = Report(checkpoints=held.count, findings=list(held.findings))
    # (seq, hash) of the latest records, the start first (seq 0: the genesis)
    recent: deque[tuple[int, bytes]] = deque([(start.seq, start.hash)], maxlen=RECENT)
    expected_prev, previous_seq, broken = start.hash, start.seq, False
    query = "SELECT * FROM records WHERE seq > $1 AND seq <= $2 ORDER BY seq"
    async for row in conn.cursor(query, start.seq, until if until is not None else 2**63 - 1):
        seq, prev_hash, hash_ = int(row["seq"]), bytes(row["prev_hash"]), bytes(row["hash"])
        report.records += 1
        if not broken:
            finding = _link_finding(
                seq, prev_hash, hash_, Entry.from_row(dict(row)), expected_prev, previous_seq, recent
            )
            if finding is not None:
                report.findings.append(finding)
                broken = True  # one break is enough to name; the checkpoints are still compared below
        mismatch = held.match(seq, hash_)
        if mismatch is not None:
            report.findings.append(mismatch)
        recent.append((seq, hash_))
        expected_prev, previous_seq = hash_, seq
        report.head_seq, report.head_hash = seq, hash_
    report.findings += held.unmatched(start.seq)
    return report


def _link_finding(
    seq: int,
    prev_hash: bytes,
    hash_: bytes,
    entry: Entry,
    expected_prev: bytes,
    previous_seq: int,
    recent: deque[tuple[int, bytes]],
) -> Finding | None:
    if hash_ != link(prev_hash, entry):
        return Finding("altered", seq, f"record {seq} does not match its hash: its contents were changed")
    if prev_hash == expected_prev:
        return None
    skipped = _inserted_after(prev_hash, recent)
    if skipped is not None:
        return Finding(
            "inserted",
            skipped,
            f"record {skipped} was inserted: record {seq} follows the record before it, "
            f"not record {previous_seq}"
            + (f" (records {skipped} to {previous_seq})" if skipped != previous_seq else ""),
        )
    before = f"record {previous_seq}" if previous_seq else "the start of the chain"
    return Finding(
        "unlinked",
        seq,
        f"record {seq} does not follow {before}: a record between them was removed, or one of them changed",
    )


def _inserted_after(prev_hash: bytes, recent: deque[tuple[int, bytes]]) -> int | None:
    """When a record links to an earlier one than the record before it (or to the walk's start),
    the first record after that one: the records in between were inserted. Else None."""
    for index in range(len(recent) - 2, -1, -1):
        if recent[index][1] == prev_hash:
            return recent[index + 1][0]
    return None


def kept_checkpoint(row: asyncpg.Record) -> Checkpoint:
    """A row of `checkpoints` as it was published."""
    return Checkpoint(
        seq=row["seq"],
        hash=bytes(row["hash"]).hex(),
        signed_at=row["signed_at"],
        key_id=row["key_id"],
        signature=row["signature"],
    )


async def kept_checkpoints(conn: Connection) -> list[Checkpoint]:
    """The checkpoints the service signed and kept, oldest first."""
    rows = await conn.fetch("SELECT seq, hash, signed_at, key_id, signature FROM checkpoints ORDER BY id")
    return [kept_checkpoint(row) for row in rows]


async def since(conn: Connection, last: Checkpoint | None, keys: list[CheckpointKey], until: int) -> Report:
    """The records from the one `last` names up to `until`: that record still the one signed, and
    each after it following it (in the caller's transaction). From the start without `last`."""
    start = Start()
    if last is not None:
        before = await conn.fetchrow("SELECT seq, hash FROM records WHERE seq < $1 ORDER BY seq DESC LIMIT 1", last.seq)
        if before is not None:
            start = Start(int(before["seq"]), bytes(before["hash"]))
    return await walk(conn, [last] if last is not None else [], keys, start, until)


async def check_all(
    conn: Connection, extra: Iterable[Checkpoint] = (), keys: list[CheckpointKey] | None = None
) -> Report:
    """The whole chain, against the kept checkpoints and `extra` ones (a file the hospital kept),
    in one consistent snapshot."""
    async with conn.transaction(readonly=True, isolation="repeatable_read"):
        checkpoints = [*await kept_checkpoints(conn), *extra]
        return await walk(conn, checkpoints, keys)
