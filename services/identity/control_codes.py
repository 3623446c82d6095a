"""Codes read back to staff: a control SMS whose code the person reads out to a validator or an
administrator, proving a mobile number is theirs (a registration request's, or an account's new
number).

Only a MAC of the code is kept, keyed with the service's secret and bound to the row (and to the
number it confirms, if the row holds one): useless from a dump alone. A code is good for 15
minutes; the fifth wrong one cancels what the code would confirm. Each owner of such codes names
its table and columns once (`Kept`): fixed identifiers in code, never input. Sending the code and
what a right one changes stay with the owner.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import timedelta

from common.db import Connection
from common.errors import NotFound

TTL = timedelta(minutes=15)
ATTEMPTS = 5


@dataclass(frozen=True)
class Kept:
    """Where a table keeps its codes read back to staff. The last wrong code cancels what the code
    would confirm: the pending value, or else the code itself."""

    table: str
    purpose: str  # what the MAC is bound to, with the row's id (and the pending value)
    columns: tuple[str, str, str]  # the code's MAC, when it was sent, the wrong codes counted
    waiting: str | None = None  # the condition of a row that waits for its code, if any
    pending: str | None = None  # the value the code confirms (bound into its MAC), if any

    @property
    def cancels(self) -> str:
        return self.pending or self.columns[0]

    @property
    def where(self) -> str:
        conditions = ["id = $1", self.waiting, None if self.pending is None else f"{self.pending} IS NOT NULL"]
        return " AND ".join(condition for condition in conditions if condition)


def mac(key: bytes, kept: Kept, row_id: uuid.UUID, code: str, pending: str | None = None) -> bytes:
    """The code as kept: keyed with the service's secret and bound to what it confirms."""
    bound = f"{kept.purpose}:{row_id}" if pending is None else f"{kept.purpose}:{row_id}:{pending}"
    return hmac.new(key, f"{bound}:{code}".encode(), hashlib.sha256).digest()


async def check(conn: Connection, key: bytes, kept: Kept, row_id: uuid.UUID, code: str) -> bool:
    """In the caller's transaction (which must commit, also when the code is wrong): whether `code`
    (spaces ignored) is the row's fresh code; a wrong one is counted, and the last cancels.
    NotFound if the row waits for no code."""
    mac_column, sent_at, attempts = kept.columns
    row = await conn.fetchrow(
        f"SELECT {mac_column} AS mac, {kept.pending or 'NULL::text'} AS pending, "
        f"{sent_at} > now() - $2::interval AS fresh FROM {kept.table} WHERE {kept.where} FOR UPDATE",
        row_id,
        TTL,
    )
    if row is None:
        raise NotFound()
    entered = "".join(code.split())
    right = (
        bool(row["fresh"])
        and row["mac"] is not None
        and hmac.compare_digest(bytes(row["mac"]), mac(key, kept, row_id, entered, row["pending"]))
    )
    if not right:
        await conn.execute(
            f"UPDATE {kept.table} SET {attempts} = {attempts} + 1, "
            f"{kept.cancels} = CASE WHEN {attempts} + 1 >= $2 THEN NULL ELSE {kept.cancels} END WHERE id = $1",
            row_id,
            ATTEMPTS,
        )
    return right
