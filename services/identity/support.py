"""F8: messages to the support, from the help page's contact form, and their list for the
administrators.

A message from a session is the account's (its name and email address); one from someone not
logged in says who they are. Each is kept here and, in the same transaction, notify is asked to
email it to the support's address (PORTAL_SUPPORT_EMAIL), sealed on its way. The limits count
per sender (the account, or the email address typed) and per address. Nothing here logs what a
message says or who wrote it.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from common.contracts import notifications as notify
from common.contracts import support as api
from common.contracts.base import Empty
from common.db import Connection
from common.errors import TooManyRequests
from common.tokens import Caller

from . import login_protection as protection
from . import notices, store, trail
from .access import session_account, staff_account
from .deps import Deps


async def write_anonymously(msg: api.AnonymousSupportMessage, deps: Deps) -> Empty:
    """From someone not logged in."""
    await _keep(deps, msg, None, msg.name, str(msg.email))
    return Empty()


async def write_from_session(msg: api.SupportMessage, caller: Caller, deps: Deps) -> Empty:
    """From a session: the account is the sender."""
    async with deps.pool.acquire() as conn:
        _, account = await session_account(conn, deps, caller)
    await _keep(deps, msg, account, account.display_name, account.email)
    return Empty()


async def _keep(deps: Deps, msg: api.SupportMessage, account: store.Account | None, name: str, email: str) -> None:
    sender = f"account:{account.id}" if account is not None else f"email:{email}"
    async with deps.outbox.connection() as conn:
        if not await protection.reserve_support_message(conn, sender, msg.client_ip, deps.settings.data_key):
            raise TooManyRequests("too many messages to the support; try again later")
        async with conn.transaction():
            message_id = uuid.uuid4()
            received_at = await conn.fetchval(
                "INSERT INTO support_messages (id, account_id, name, email, topic, text, client_ip) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING received_at",
                message_id,
                None if account is None else uuid.UUID(account.id),
                name,
                email,
                msg.topic,
                msg.text,
                msg.client_ip,
            )
            await _email_to_support(conn, deps, account, name, email, msg, received_at)
            await trail.record(
                conn,
                "support.message_received",
                by=account,
                entity=trail.support_message(str(message_id)),
                client_ip=msg.client_ip,
                detail=f"topic {msg.topic}" + ("" if deps.settings.support_email else ", no support address to email"),
            )


async def _email_to_support(
    conn: Connection,
    deps: Deps,
    account: store.Account | None,
    name: str,
    email: str,
    msg: api.SupportMessage,
    received_at: datetime,
) -> None:
    """Ask notify to email the message to the support, sealed: its text and sender stay unreadable
    on the way (outbox, NOTIFY stream, notify's ledger)."""
    if not deps.settings.support_email:
        return
    content = {
        "name": name,
        "email": email,
        "account": None if account is None else (account.login or "HIN"),
        "topic": msg.topic,
        "text": msg.text,
        "received_at": received_at.astimezone(UTC).isoformat(),
    }
    sealed = deps.settings.for_notify.seal(json.dumps(content, ensure_ascii=False))
    await notices.ask(conn, notify.SendSupportMessage(to=deps.settings.support_email, message=sealed))


async def inbox(msg: api.SupportInboxPage, caller: Caller, deps: Deps) -> api.SupportInbox:
    """The messages, newest first: administrators only (to anyone else there is nothing)."""
    async with deps.pool.acquire() as conn:
        await staff_account(conn, deps, caller, ("admin",))
        total = await conn.fetchval("SELECT count(*) FROM support_messages")
        rows = await conn.fetch(
            "SELECT m.id::text, m.received_at, m.name, m.email, a.login, m.account_id IS NOT NULL AS logged_in, "
            "m.topic, m.text FROM support_messages m LEFT JOIN accounts a ON a.id = m.account_id "
            "ORDER BY m.received_at DESC, m.id DESC LIMIT $1 OFFSET $2",
            msg.per_page,
            (msg.page - 1) * msg.per_page,
        )
    return api.SupportInbox(
        items=[api.ReceivedSupportMessage(**dict(row)) for row in rows],
        total=total,
        page=msg.page,
        per_page=msg.per_page,
    )
