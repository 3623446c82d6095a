"""The hash chain of the audit log: what each row's hash covers, and how rows link.

hash(n) = sha256(hash(n-1) || canonical JSON of row n, source included); the first row links
to 32 zero bytes. The same `Entry` is built from an incoming record and from a stored row, so
the hash computed at append time is recomputed identically when the chain is verified.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from common.contracts.audit import AuditRecord

GENESIS = bytes(32)


def _utc(moment: datetime) -> datetime:
    # A naive time is taken as UTC, as PostgreSQL stores it in a timestamptz column.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class Entry:
    """One audit record as the log stores it, with the service it came from."""

    event_id: str
    source: str
    recorded_at: datetime
    action: str
    outcome: str
    actor_kind: str
    actor_id: str | None
    entity_kind: str | None
    entity_id: str | None
    entity_version: int | None
    client_ip: str | None
    detail: str

    @classmethod
    def of(cls, record: AuditRecord, source: str) -> Entry:
        entity = record.entity
        return cls(
            event_id=record.event_id,
            source=source,
            recorded_at=_utc(record.recorded_at),
            action=record.action,
            outcome=record.outcome,
            actor_kind=record.actor.kind,
            actor_id=record.actor.id,
            entity_kind=entity.kind if entity else None,
            entity_id=entity.id if entity else None,
            entity_version=entity.version if entity else None,
            client_ip=record.client_ip,
            detail=record.detail,
        )

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Entry:
        fields = {name: row[name] for name in cls.__dataclass_fields__}
        fields["recorded_at"] = _utc(fields["recorded_at"])
        return cls(**fields)

    def canonical(self) -> bytes:
        """Sorted keys, no spaces, UTF-8, time in UTC to the microsecond: one byte string per entry."""
        fields = asdict(self)
        fields["recorded_at"] = self.recorded_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link(prev_hash: bytes, entry: Entry) -> bytes:
    """The hash of `entry` chained after the row whose hash is `prev_hash`."""
    return hashlib.sha256(prev_hash + entry.canonical()).digest()
