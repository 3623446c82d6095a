"""Each email is sent at most once, whoever dies when: the claims of notify's ledger, on a real
PostgreSQL, in a schema of their own (the running notify never sees these rows)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from common.migrate import migrate
from deploy.database import with_database
from deploy.stack import REPO, Stack
from services.notify import ledger as ledgers
from services.notify import store

EMAILS = ledgers.Ledger("outgoing_emails")

MERGE = {"new_document": "new_documents", "new_documents": "new_documents"}


@contextlib.asynccontextmanager
async def ledger_schema(stack: Stack) -> AsyncIterator[asyncpg.Connection]:
    """Notify's tables in a schema of their own, dropped at the end."""
    schema = f"emails_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(with_database(stack.admin_database_url, stack.config.database))
    await conn.execute(f'CREATE SCHEMA "{schema}"')
    await migrate(conn, schema, REPO / "services" / "notify" / "migrations")
    await conn.execute(f'SET search_path TO "{schema}"')
    try:
        yield conn
    finally:
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.close()


@pytest.fixture
async def ledger(stack: Stack) -> AsyncIterator[asyncpg.Connection]:
    async with ledger_schema(stack) as conn:
        yield conn


async def one_email(conn: asyncpg.Connection) -> None:
    await store.add_email(conn, "account-1", "dr@cabinet.example.ch", "fr", "new_document", "portal.example", MERGE)


async def state(conn: asyncpg.Connection) -> str:
    return await conn.fetchval("SELECT state FROM outgoing_emails")


async def a_copy_stopped(conn: asyncpg.Connection, instance: uuid.UUID) -> None:
    """The copy `instance` said it was alive long ago, and no more since."""
    await conn.execute(
        "UPDATE sender_copies SET seen_at = now() - make_interval(secs => $2) WHERE instance = $1",
        instance,
        ledgers.SILENT_SECONDS + 1,
    )


async def test_an_email_a_stopped_copy_was_preparing_is_sent_by_another_and_never_by_both(
    ledger: asyncpg.Connection,
) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    await one_email(ledger)
    await ledgers.alive(ledger, first)
    claimed = await EMAILS.claim_due(ledger, first)
    assert claimed is not None and await state(ledger) == "preparing"
    assert await EMAILS.claim_due(ledger, second) is None  # one copy at a time

    await a_copy_stopped(ledger, first)
    await ledgers.alive(ledger, second)
    assert await EMAILS.abandoned(ledger) == (1, 0)  # nothing was handed over: due again
    retaken = await EMAILS.claim_due(ledger, second)
    assert retaken is not None and retaken.id == claimed.id and retaken.attempts == 2

    # The first copy was only slow: its claim is no longer good, it hands nothing over.
    assert not await EMAILS.sending(ledger, claimed)
    assert await EMAILS.sending(ledger, retaken) and await state(ledger) == "sending"
    await EMAILS.sent(ledger, retaken)
    assert await state(ledger) == "sent"


async def test_an_email_a_stopped_copy_was_handing_over_is_in_doubt_and_never_sent_again(
    ledger: asyncpg.Connection,
) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    await one_email(ledger)
    await ledgers.alive(ledger, first)
    claimed = await EMAILS.claim_due(ledger, first)
    assert claimed is not None and await EMAILS.sending(ledger, claimed)

    await a_copy_stopped(ledger, first)
    await ledgers.alive(ledger, second)
    assert await EMAILS.abandoned(ledger) == (0, 1)
    assert await state(ledger) == "uncertain"
    assert await EMAILS.claim_due(ledger, second) is None  # at most once: not sent again


async def test_a_copy_whose_sending_mark_went_unanswered_can_still_put_the_email_back(
    ledger: asyncpg.Connection,
) -> None:
    instance = uuid.uuid4()
    await one_email(ledger)
    claimed = await EMAILS.claim_due(ledger, instance)
    assert claimed is not None and await EMAILS.sending(ledger, claimed)  # its answer "lost"
    await EMAILS.deferred(ledger, claimed, 0)  # nothing was handed over
    assert await state(ledger) == "pending"


async def test_a_mail_server_away_defers_the_email_and_a_second_notice_joins_the_waiting_one(
    ledger: asyncpg.Connection,
) -> None:
    instance = uuid.uuid4()
    await one_email(ledger)
    await one_email(ledger)  # while the first still waits: one email, "new documents"
    assert await ledger.fetchval("SELECT count(*) FROM outgoing_emails") == 1
    claimed = await EMAILS.claim_due(ledger, instance)
    assert claimed is not None and claimed.kind == "new_documents"
    await EMAILS.deferred(ledger, claimed, 60)
    assert await state(ledger) == "pending"
    assert await EMAILS.claim_due(ledger, instance) is None  # not due before its wait
