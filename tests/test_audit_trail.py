"""The audit trail (F9): a table its service cannot unprotect, a chain whose tampering is found
four ways (a superuser's UPDATE, a DELETE, a record inserted in the middle, the whole chain
rewritten; and the newest records removed) by `python -m services.audit.verify` and by the
service's scheduled check, which raises the alarm; signed checkpoints the hospital keeps and
verifies. (tests/test_audit_pages.py: who reads the log.)

Tampering is done in a database of its own (`scratch`), provisioned as the stack's is, so that the
stack's chain stays whole for every other test.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from nats.aio.client import Client as NATS

from common.contracts import audit
from common.contracts.audit import Checkpoint
from common.outages import Outages
from common.outbox import OutboxRelay
from deploy.database import drop_database, provision, with_database
from deploy.stack import REPO, Stack
from services.audit import handlers, store
from services.audit.chain import Entry, link
from services.audit.signing import CheckpointSigner
from services.audit.watch import ChainWatch

from .portal import Physicians, PortalEvents, eventually
from .web import WebClient

# -- the table's owner is not the service -------------------------------------------------------------


async def _as_service(stack: Stack) -> asyncpg.Connection:
    return await asyncpg.connect(stack.service_dsns["audit"], server_settings={"search_path": "audit"})


async def test_the_audit_log_belongs_to_another_role_than_the_service_s(stack: Stack) -> None:
    conn = await _as_service(stack)
    try:
        owners = dict(
            await conn.fetch(
                "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'audit' "
                "AND tablename IN ('records', 'checkpoints')"
            )
        )
        assert owners == {"records": "audit_owner", "checkpoints": "audit_owner"}
        assert await conn.fetchval("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'audit'") == (
            "audit_owner"
        )
        assert await conn.fetchval("SELECT current_user") == "audit"
        # and the owner applied every migration the running service expects
        applied = {row["name"] for row in await conn.fetch("SELECT name FROM schema_migrations")}
        assert {"audit/002_checkpoints.sql", "audit/003_search.sql"} <= applied
    finally:
        await conn.close()


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE records DISABLE TRIGGER records_append_only",
        "ALTER TABLE records DISABLE TRIGGER ALL",
        "ALTER TABLE checkpoints DISABLE TRIGGER checkpoints_append_only",
        "DROP TRIGGER records_append_only ON records",
        "CREATE OR REPLACE FUNCTION refuse_record_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        "ALTER TABLE records OWNER TO audit",
        "DROP TABLE records",
        "ALTER TABLE records RENAME TO old_records",
        "CREATE TABLE records_copy (seq bigint)",
        "SET session_replication_role = replica",
        "UPDATE records SET detail = 'edited'",
        "DELETE FROM records",
        "TRUNCATE records",
        "UPDATE checkpoints SET hash = hash",
        "SELECT setval('records_seq_seq', 1)",
    ],
)
async def test_the_service_s_role_cannot_unprotect_or_change_the_log(stack: Stack, statement: str) -> None:
    conn = await _as_service(stack)
    try:
        with pytest.raises((asyncpg.InsufficientPrivilegeError, asyncpg.RaiseError)):
            await conn.execute(statement)
    finally:
        await conn.close()


# -- tampering, found by verify and by the scheduled check -----------------------------------------------


@dataclass
class Scratch:
    """An audit schema of its own, set up as the stack's (owner, grants), a chain in it, and the
    service's watch over it (the stack's checkpoint key, the stack's NATS)."""

    database: str
    service_dsn: str
    pool: asyncpg.Pool
    superuser: asyncpg.Connection
    relay: OutboxRelay
    watch: ChainWatch
    checkpoints: list[Checkpoint]

    async def append(self, count: int) -> None:
        """`count` records, appended one by one as the service appends them."""
        for _ in range(count):
            record = audit.AuditRecord(
                action="document.viewed",
                outcome="success",
                actor=audit.Party(kind="physician", id=str(uuid.uuid4())),
                entity=audit.Entity(kind="document", id=f"DOC-{uuid.uuid4().hex[:8]}", version=1),
                client_ip="198.51.100.7",
            )
            await handlers.record(record, source="documents", pool=self.pool, relay=self.relay)

    async def checkpoint(self) -> Checkpoint:
        checkpoint = await self.watch.checkpoint()
        assert checkpoint is not None
        self.checkpoints.append(checkpoint)
        return checkpoint

    async def unprotected(self, *statements: str) -> None:
        """What a superuser can do: the triggers off, the statements, the triggers on again."""
        async with self.superuser.transaction():
            await self.superuser.execute("SET LOCAL session_replication_role = replica")
            for statement in statements:
                await self.superuser.execute(statement)

    async def rewrite(self, seq: int, detail: str) -> None:
        """Change a record, then write every hash again from the start: a chain whole in itself."""
        async with self.superuser.transaction():
            await self.superuser.execute("SET LOCAL session_replication_role = replica")
            await self.superuser.execute("UPDATE records SET detail = $2 WHERE seq = $1", seq, detail)
            prev = bytes(32)
            for row in await self.superuser.fetch("SELECT * FROM records ORDER BY seq"):
                hash_ = link(prev, Entry.from_row(dict(row)))
                await self.superuser.execute(
                    "UPDATE records SET prev_hash = $2, hash = $3 WHERE seq = $1", row["seq"], prev, hash_
                )
                prev = hash_


@pytest.fixture
async def scratch(stack: Stack, audit_nc: NATS) -> AsyncIterator[Scratch]:
    database = f"audit_{uuid.uuid4().hex[:10]}"
    assert stack.secrets is not None
    dsns = await provision(stack.admin_database_url, database, stack.secrets.database_passwords)
    pool = await asyncpg.create_pool(dsns["audit"], min_size=1, max_size=2, server_settings={"search_path": "audit"})
    superuser = await asyncpg.connect(
        with_database(stack.admin_database_url, database), server_settings={"search_path": "audit"}
    )
    js = audit_nc.jetstream()
    relay = OutboxRelay(pool, js, Outages())
    watch = ChainWatch(pool, relay, js, CheckpointSigner.from_pem_file(stack.secrets.audit_checkpoint_key))
    try:
        yield Scratch(database, dsns["audit"], pool, superuser, relay, watch, [])
    finally:
        await superuser.close()
        await pool.close()
        await drop_database(stack.admin_database_url, database)


@pytest.fixture(scope="module")
async def audit_nc(stack: Stack) -> AsyncIterator[NATS]:
    """The audit service's NATS user: the scratch watch publishes its alarms as the service does."""
    nc = await stack.connect_nats("audit")
    yield nc
    await nc.close()


@pytest.fixture
async def alarms(stack: Stack) -> AsyncIterator[list[dict]]:
    """What operations hear on portal.audit.alarm."""
    heard: list[dict] = []
    nc = await stack.connect_nats("ops")

    async def on_alarm(msg: object) -> None:
        heard.append(json.loads(msg.data))  # type: ignore[attr-defined]

    await nc.subscribe(audit.ALARM, cb=on_alarm)
    yield heard
    await nc.close()


async def run_verify(stack: Stack, scratch: Scratch, *arguments: str) -> tuple[int, str]:
    """`python -m services.audit.verify` on the scratch log, with the service's settings."""
    assert stack.secrets is not None
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": scratch.service_dsn,
        "PORTAL_AUDIT_CHECKPOINT_KEY": str(stack.secrets.audit_checkpoint_key),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.audit.verify",
        *arguments,
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode()


async def scheduled_alarm(scratch: Scratch, alarms: list[dict], seq: int, problem: str) -> dict:
    """Run the service's scheduled check as the service does (a short period here) until its alarm comes."""
    check = asyncio.create_task(Outages().periodically(scratch.watch.check, 0.05, "chain check"))
    try:

        async def raised() -> dict | None:
            return next((alarm for alarm in alarms if (alarm["seq"], alarm["problem"]) == (seq, problem)), None)

        return await eventually(raised, what=f"the alarm for record {seq} ({problem})")
    finally:
        check.cancel()
        await asyncio.gather(check, return_exceptions=True)


async def _a_chain(scratch: Scratch) -> None:
    """Records 1-4, a checkpoint at 4, a number used by an append rolled back (5), records 6-9, a
    checkpoint at 9."""
    await scratch.append(4)
    assert (await scratch.checkpoint()).seq == 4
    await scratch.pool.fetchval("SELECT nextval('records_seq_seq')")  # what a rolled-back append leaves
    await scratch.append(4)
    assert (await scratch.checkpoint()).seq == 9


async def _forged_at_5(scratch: Scratch) -> None:
    """A record in the gap, linked to record 4 and hashed right: only the next one betrays it."""
    before = await scratch.superuser.fetchrow("SELECT hash FROM records WHERE seq = 4")
    entry = Entry.of(
        audit.AuditRecord(action="logout", outcome="success", actor=audit.Party(kind="system")), "identity"
    )
    prev = bytes(before["hash"])
    await store.insert_records(scratch.superuser, [(entry, prev, link(prev, entry))])  # as the service writes
    await scratch.unprotected(f"UPDATE records SET seq = 5 WHERE event_id = '{entry.event_id}'")


TAMPERING = {
    # a superuser's UPDATE (the triggers off): the record no longer gives its hash
    "update": (
        lambda s: s.unprotected("UPDATE records SET client_ip = '203.0.113.66' WHERE seq = 3"),
        3,
        "altered",
    ),
    # a DELETE: the next record no longer follows the one before
    "delete": (lambda s: s.unprotected("DELETE FROM records WHERE seq = 3"), 4, "unlinked"),
    # a record inserted in the middle, in the gap a rolled-back append left
    "insert": (_forged_at_5, 5, "inserted"),
    # the whole chain rewritten from record 2, every hash again: only the checkpoints know
    "rewrite": (lambda s: s.rewrite(2, "nothing to see"), 4, "rewritten"),
    # the newest records removed: the chain is whole, but shorter than what was signed
    "truncate": (lambda s: s.unprotected("DELETE FROM records WHERE seq >= 8"), 9, "missing"),
}


async def test_an_untouched_chain_verifies(stack: Stack, scratch: Scratch, alarms: list[dict]) -> None:
    await _a_chain(scratch)
    status, output = await run_verify(stack, scratch)
    assert status == 0, output
    assert "audit chain verified: 8 records, head 9" in output and "2 checkpoints" in output
    report = await scratch.watch.check()
    assert report.ok and report.records == 8 and not alarms


@pytest.mark.parametrize("how", TAMPERING)
async def test_tampering_is_found_by_verify_and_by_the_scheduled_check(
    stack: Stack, scratch: Scratch, alarms: list[dict], caplog: pytest.LogCaptureFixture, how: str
) -> None:
    tamper, seq, problem = TAMPERING[how]
    await _a_chain(scratch)
    await tamper(scratch)

    status, output = await run_verify(stack, scratch)
    assert status == 1, output
    assert f"audit chain BROKEN: first bad record {seq} ({problem})" in output, output
    assert "198.51.100.7" not in output and "DOC-" not in output  # named, never shown

    with caplog.at_level(logging.ERROR, logger="services.audit.watch"):
        alarm = await scheduled_alarm(scratch, alarms, seq, problem)
    assert alarm["description"] and alarm["checked_at"]
    assert any(
        record.levelno == logging.ERROR and f"audit chain broken at record {seq}" in record.getMessage()
        for record in caplog.records
    )


async def test_a_rewrite_that_also_removed_the_kept_checkpoints_is_caught_by_the_hospital_s(
    stack: Stack, scratch: Scratch, tmp_path: Path
) -> None:
    """The superuser rewrites the chain and deletes the checkpoints the service kept: only the
    copies the hospital keeps (a file of what it received on portal.audit.checkpoint) catch it."""
    await _a_chain(scratch)
    held = tmp_path / "checkpoints.jsonl"
    held.write_text("".join(checkpoint.model_dump_json() + "\n" for checkpoint in scratch.checkpoints))
    await scratch.rewrite(2, "nothing to see")
    await scratch.unprotected("DELETE FROM checkpoints")

    status, output = await run_verify(stack, scratch)
    assert status == 0, output  # whole in itself: what the database holds cannot tell
    status, output = await run_verify(stack, scratch, "--checkpoints", str(held))
    assert status == 1 and "first bad record 4 (rewritten)" in output, output


async def test_a_forged_checkpoint_is_found(stack: Stack, scratch: Scratch, tmp_path: Path) -> None:
    """Checkpoints the superuser writes (the chain rewritten to match) do not verify: the key is the
    service's alone; and a hospital's file that is not checkpoints is refused, not taken as whole."""
    await _a_chain(scratch)
    await scratch.rewrite(2, "nothing to see")
    head = await scratch.superuser.fetchval("SELECT hash FROM records WHERE seq = 4")
    await scratch.unprotected(f"UPDATE checkpoints SET hash = '\\x{bytes(head).hex()}' WHERE seq = 4")
    status, output = await run_verify(stack, scratch)
    assert status == 1 and "first bad record 4 (bad_checkpoint)" in output, output

    garbage = tmp_path / "not-checkpoints.jsonl"
    garbage.write_text('{"seq": 1}\n')
    status, output = await run_verify(stack, scratch, "--checkpoints", str(garbage))
    assert status == 2 and "not-checkpoints.jsonl:1 is not a checkpoint" in output, output


async def test_no_checkpoint_is_signed_over_records_changed_since_the_last(
    scratch: Scratch, alarms: list[dict]
) -> None:
    """Before signing, the records added since the last checkpoint are checked: a changed one is no
    checkpoint, but the alarm."""
    await _a_chain(scratch)
    await scratch.append(3)  # records 10-12
    await scratch.unprotected("UPDATE records SET detail = 'edited' WHERE seq = 11")
    assert await scratch.watch.checkpoint() is None
    assert await scratch.pool.fetchval("SELECT max(seq) FROM checkpoints") == 9

    async def raised() -> dict | None:
        return next((alarm for alarm in alarms if alarm["seq"] == 11), None)

    assert (await eventually(raised, what="the alarm"))["problem"] == "altered"


# -- checkpoints, as the hospital receives and verifies them ---------------------------------------------


async def test_the_service_signs_and_publishes_checkpoints_the_hospital_verifies(
    stack: Stack, portal_events: PortalEvents, physicians: Physicians, web: WebClient, tmp_path: Path
) -> None:
    await physicians.login(await physicians.create())  # records, so that the head moves
    conn = await _as_service(stack)
    try:
        newest = await conn.fetchval("SELECT max(seq) FROM records")

        async def signed() -> dict | None:
            later = [body for body in portal_events.matching(audit.CHECKPOINT) if body["seq"] >= newest]
            return later[0] if later else None

        published = await eventually(signed, what="a checkpoint of the newest records")
        record_hash = await conn.fetchval("SELECT hash FROM records WHERE seq = $1", published["seq"])
    finally:
        await conn.close()
    assert published["hash"] == bytes(record_hash).hex()

    # The public key, as the gateway serves it to anyone; the hospital checks the signature as README says.
    assert stack.secrets is not None
    served = await web.get("/.well-known/audit-checkpoint-key.pem")
    pem = await served.read()
    assert served.status == 200 and served.content_type == "application/x-pem-file"
    assert served.headers["Access-Control-Allow-Origin"] == "*"
    assert pem == stack.secrets.audit_checkpoint_public_key.read_bytes()
    assert served.headers["X-Key-Id"] == published["key_id"]
    key = serialization.load_pem_public_key(pem)
    assert isinstance(key, Ed25519PublicKey)
    signed_text = f"portal.audit.checkpoint:v1:{published['seq']}:{published['hash']}:{published['signed_at']}"
    key.verify(base64.b64decode(published["signature"]), signed_text.encode())

    # verify, on the stack's own log, with the hospital's checkpoints as a file
    held = tmp_path / "held.jsonl"
    held.write_text(
        "".join(json.dumps(body) + "\n" for subject, body in portal_events.messages if subject == audit.CHECKPOINT)
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.audit.verify",
        "--checkpoints",
        str(held),
        "--public-key",
        str(stack.secrets.audit_checkpoint_public_key),
        cwd=REPO,
        env={"PATH": os.environ.get("PATH", ""), "DATABASE_URL": stack.service_dsns["audit"]},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0 and "audit chain verified" in output.decode(), output.decode()
