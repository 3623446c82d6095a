"""`python -m services.audit.verify`: check the whole audit chain, and name the first bad record.

Every record against its hash and the record before it, and the head at every checkpoint the
service signed and kept, and at those of `--checkpoints FILE` (the hospital's copy: one
checkpoint per line, as published on `portal.audit.checkpoint`). Signatures are checked with
`--public-key` (PEM files; several while keys rotate), else with the public half of
`PORTAL_AUDIT_CHECKPOINT_KEY` when it is set.

`DATABASE_URL`: a role that may read the schema `audit` (the service's, or the owner's).
Exit status 0: the chain is whole; 1: it is broken (the first bad record named first); 2: the
check could not be made (configuration, file, database).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

import asyncpg
from pydantic import ValidationError

from common.contracts.audit import Checkpoint

from .signing import CheckpointKey
from .verification import Report, check_all

BROKEN, UNUSABLE = 1, 2


class Unusable(Exception):
    """The check could not be made; the text says why."""


def read_checkpoints(path: Path) -> list[Checkpoint]:
    """One checkpoint per line (JSON, as published); blank lines ignored."""
    checkpoints = []
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise Unusable(f"cannot read {path}: {exc.strerror}") from None
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                checkpoints.append(Checkpoint.model_validate_json(line))
            except ValidationError as exc:
                raise Unusable(f"{path}:{number} is not a checkpoint ({exc.error_count()} error(s))") from None
    return checkpoints


def read_keys(paths: list[Path]) -> list[CheckpointKey] | None:
    """The keys given, else the service's own (its private key's public half), else None."""
    if not paths and os.environ.get("PORTAL_AUDIT_CHECKPOINT_KEY"):
        paths = [Path(os.environ["PORTAL_AUDIT_CHECKPOINT_KEY"])]
    try:
        return [CheckpointKey.from_pem_file(path) for path in paths] or None
    except (OSError, ValueError) as exc:
        raise Unusable(f"cannot read the checkpoints' key: {exc}") from None


async def verify(database_url: str, extra: list[Checkpoint], keys: list[CheckpointKey] | None) -> Report:
    try:
        conn = await asyncpg.connect(database_url, server_settings={"search_path": "audit"})
    except (OSError, asyncpg.PostgresError) as exc:
        raise Unusable(f"cannot connect to the database: {type(exc).__name__}") from None
    try:
        return await check_all(conn, extra, keys)
    except asyncpg.PostgresError as exc:
        raise Unusable(f"cannot read the audit log: {type(exc).__name__}: {exc}") from None
    finally:
        await conn.close()


def describe(report: Report, keys: list[CheckpointKey] | None) -> list[str]:
    """The report in lines, the verdict first."""
    head = f"head {report.head_seq} ({report.head_hash.hex()})" if report.head_hash else "empty log"
    read = f"{report.records} records, {head}, {report.checkpoints} checkpoints"
    lines = []
    first = report.first
    if first is None:
        lines.append(f"audit chain verified: {read}")
    else:
        lines.append(f"audit chain BROKEN: first bad record {first.seq} ({first.problem}): {first.description}")
        lines += [f"  also: {finding.description}" for finding in sorted(report.findings, key=lambda f: f.seq)[1:]]
        lines.append(f"  read: {read}")
    if keys is None:
        lines.append("  signatures not checked: no key (--public-key, or PORTAL_AUDIT_CHECKPOINT_KEY)")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.audit.verify",
        description="Check the whole audit chain and name the first bad record (exit status 1 if broken).",
    )
    parser.add_argument(
        "--checkpoints", type=Path, action="append", default=[], help="a file of checkpoints, one JSON per line"
    )
    parser.add_argument(
        "--public-key", type=Path, action="append", default=[], help="a PEM file of the checkpoints' public key"
    )
    arguments = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL")
    try:
        if not database_url:
            raise Unusable("DATABASE_URL is not set")
        extra = [checkpoint for path in arguments.checkpoints for checkpoint in read_checkpoints(path)]
        keys = read_keys(arguments.public_key)
        report = asyncio.run(verify(database_url, extra, keys))
    except Unusable as exc:
        print(f"audit chain not checked: {exc}", file=sys.stderr)
        return UNUSABLE
    for line in describe(report, keys):
        print(line)
    return 0 if report.ok else BROKEN


if __name__ == "__main__":
    sys.exit(main())
