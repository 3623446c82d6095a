"""The data behind Mes documents, written directly in the documents schema with COPY, as the
documents role: patients, document versions (metadata only: listing reads no content) and
current deliveries spread over two years, some unread. For the benchmark and the tests' deep
lists (both import it from here: the tests never import the benchmark)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import asyncpg

from common.contracts.hospital import CATEGORIES
from common.search import search_form

from .hospital_sim import SERVICES


class Recipient(Protocol):
    """The physician receiving the seeded documents: their account and how documents names them."""

    @property
    def account_id(self) -> str: ...

    @property
    def key(self) -> str: ...


FAMILY_NAMES = ["Dupont", "Müller", "Rochat", "Nguyen", "Favre", "Bianchi", "Keller", "Martin", "Perret", "Schmid"]
GIVEN_NAMES = ["Marie", "Jean-François", "Élodie", "Thierry", "Lucie", "Marco", "Anna", "Pierre", "Chloé", "Luca"]
PATIENT_COLUMNS = ["id", "family_name", "given_name", "search_name", "birth_date", "sex"]
DOCUMENT_COLUMNS = [
    "document_id",
    "version",
    "episode_id",
    "patient_id",
    "category",
    "title",
    "service",
    "author",
    "status",
    "communicating",
    "created_at",
    "media_type",
    "sha256",
    "size",
    "chunks",
    "key_id",
    "wrapped_key",
    "received_at",
]
DELIVERY_COLUMNS = [
    "id",
    "document_id",
    "version",
    "account_id",
    "physician",
    "patient_id",
    "created_at",
    "category",
    "service",
    "title",
    "author",
    "media_type",
    "size",
    "current",
    "delivered_at",
    "unread",
]
TWO_YEARS = timedelta(days=730)
UNREAD_SHARE = 0.1


Rows = list[tuple[Any, ...]]


def _rows(physician: Recipient, documents: int, patients: int) -> tuple[Rows, Rows, Rows]:
    now = datetime.now(UTC)
    patient_rows: Rows = []
    document_rows: Rows = []
    delivery_rows: Rows = []
    for _ in range(patients):
        family, given = random.choice(FAMILY_NAMES), random.choice(GIVEN_NAMES)
        birth = date(1930, 1, 1) + timedelta(days=random.randrange(30_000))
        patient_rows.append(
            (
                f"PB{uuid.uuid4().hex[:12].upper()}",
                family,
                given,
                search_form(f"{family} {given}"),
                birth,
                random.choice(["female", "male"]),
            )
        )
    account = uuid.UUID(physician.account_id)
    digest = hashlib.sha256(b"bench").hexdigest()
    for number in range(documents):
        patient_id = patient_rows[number % patients][0]
        created = now - TWO_YEARS * random.random()
        delivered = created + timedelta(minutes=random.randrange(1, 600))
        category, service = random.choice(CATEGORIES[:-1]), random.choice(SERVICES)
        document_id = f"DOC-B-{uuid.uuid4().hex[:16]}"
        document_rows.append(
            (
                document_id,
                1,
                f"EP-B-{number % (patients * 3)}",
                patient_id,
                category,
                f"Document {number}",
                service,
                "Dr A. Martin",
                "final",
                True,
                created,
                "application/pdf",
                digest,
                10 * 1024,
                1,
                "k1",
                os.urandom(40),
                delivered,
            )
        )
        delivery_rows.append(
            (
                uuid.uuid4(),
                document_id,
                1,
                account,
                physician.key,
                patient_id,
                created,
                category,
                service,
                f"Document {number}",
                "Dr A. Martin",
                "application/pdf",
                10 * 1024,
                True,
                delivered,
                random.random() < UNREAD_SHARE,
            )
        )
    return patient_rows, document_rows, delivery_rows


async def seed(
    pool: asyncpg.Pool, physicians: list[Recipient], documents: int, patients: int, at_once: int = 3
) -> None:
    """`documents` current deliveries for each physician, over `patients` patients of their own."""
    limit = asyncio.Semaphore(at_once)

    async def one(physician: Recipient) -> None:
        async with limit:
            patient_rows, document_rows, delivery_rows = await asyncio.to_thread(_rows, physician, documents, patients)
            async with pool.acquire() as conn, conn.transaction():
                await conn.copy_records_to_table(
                    "patients", records=patient_rows, columns=PATIENT_COLUMNS, schema_name="documents"
                )
                await conn.copy_records_to_table(
                    "documents", records=document_rows, columns=DOCUMENT_COLUMNS, schema_name="documents"
                )
                await conn.copy_records_to_table(
                    "deliveries", records=delivery_rows, columns=DELIVERY_COLUMNS, schema_name="documents"
                )

    await asyncio.gather(*(one(p) for p in physicians))
    async with pool.acquire() as conn:
        # What autovacuum would do soon after such a load; the planner needs it to pick the list index.
        await conn.execute("ANALYZE patients; ANALYZE documents")
        # VACUUM too: its visibility map lets the list's index-only scans skip the table.
        await conn.execute("VACUUM (ANALYZE) deliveries")
        # The tallies took one update per delivery loaded: what autovacuum would clean up next.
        await conn.execute("VACUUM (ANALYZE) patient_tallies")
