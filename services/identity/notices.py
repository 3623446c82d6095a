"""What identity asks notify to send: a code, a temporary password, a courtesy notice.

Each is a typed command (`common.contracts.notifications`) enqueued in the caller's transaction:
the outbox publishes it on the NOTIFY stream once that transaction committed. No code goes out
for an attempt that was rolled back, and none is lost if a process dies after the commit.
Identity never writes the texts; notify does, in the account's language. Secrets travel sealed
to notify (`IdentitySettings.for_notify.seal`).
"""

from __future__ import annotations

from common.contracts import notifications as notify
from common.db import Connection
from common.outbox import enqueue


async def ask(conn: Connection, command: notify.Command) -> None:
    """Ask notify to send `command`, in the caller's transaction."""
    await enqueue(conn, notify.SUBJECT_OF[type(command)], command)
