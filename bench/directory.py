"""5. Physician directory (F7): 20,000 activated physicians, staff searches asked over the bus as
the gateway asks them (by name, name and specialty, specialty, GLN), one at a time; latency."""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, datetime

import asyncpg

from common.bus import call
from common.contracts import identity
from common.contracts.specialties import SPECIALTIES
from services.identity.store import open_session

from .context import Bench
from .physicians import random_gln, random_mobile
from .report import ms, percentile

PHYSICIANS = 20_000
SEARCHES = 400
FLOOR_SECONDS = 0.050
FAMILY = (
    "Müller",
    "Favre",
    "Rochat",
    "Dubois",
    "Meier",
    "Schneider",
    "Bonvin",
    "Rossi",
    "Keller",
    "Perrin",
    "Jaquet",
    "Gerber",
    "Baumann",
    "Fischer",
    "Zbinden",
    "Morel",
    "Girard",
    "Roux",
    "Blanc",
    "Chevalier",
)
GIVEN = ("Élodie", "Jean", "Claire", "Marc", "Anne", "Luca", "Sophie", "Pierre", "Laura", "Nicolas")
COLUMNS = (
    "id",
    "login",
    "role",
    "status",
    "family_name",
    "given_name",
    "email",
    "mobile",
    "gln",
    "locale",
    "specialties",
    "profile_confirmed_at",
)


async def directory_section(bench: Bench) -> None:
    report, stack = bench.report, bench.stack
    report.title(f"5. Physician directory: {PHYSICIANS:,} activated physicians, {SEARCHES} searches one at a time")
    bench.phase("directory: seeding")
    pool = await asyncpg.create_pool(
        stack.service_dsns["identity"], min_size=1, max_size=2, server_settings={"search_path": "identity"}
    )
    now = datetime.now(UTC)
    glns: list[str] = []
    try:
        async with pool.acquire() as conn:
            taken = {row["gln"] for row in await conn.fetch("SELECT gln FROM accounts WHERE gln IS NOT NULL")}
            rows = []
            for number in range(PHYSICIANS):
                gln = random_gln()
                while gln in taken:  # 20,000 random GLNs collide now and then: one account, one GLN
                    gln = random_gln()
                taken.add(gln)
                glns.append(gln)
                family = f"{random.choice(FAMILY)}{'' if number % 3 else '-' + random.choice(FAMILY)}{number % 97}"
                rows.append(
                    (
                        uuid.uuid4(),
                        f"bench-dir-{number}",
                        "physician",
                        "active",
                        family,
                        random.choice(GIVEN),
                        f"dir{number}@cabinet.example.ch",
                        random_mobile(),
                        gln,
                        "fr",
                        random.sample(SPECIALTIES, random.randint(1, 2)),
                        now,
                    )
                )
            await conn.copy_records_to_table("accounts", records=rows, columns=COLUMNS, schema_name="identity")
            staff_id = uuid.uuid4()
            await conn.execute(
                "INSERT INTO accounts (id, login, role, status, family_name, given_name, email) "
                "VALUES ($1, $2, 'service_staff', 'active', 'Bench', 'Staff', 'staff@hopital.example.ch')",
                staff_id,
                f"bench-staff-{staff_id.hex[:8]}",
            )
            _, secret = await open_session(conn, str(staff_id), "")
            await conn.execute("ANALYZE accounts")
    finally:
        await pool.close()
    report.note(f"seeded {PHYSICIANS:,} physicians with COPY")

    bench.phase("directory: searches")
    nc = await stack.connect_nats("gateway")
    resolved = await call(nc, identity.RESOLVE_SESSION, identity.SessionRef(session=secret))  # as the gateway does
    latencies: list[float] = []
    kinds = (
        lambda: {"text": random.choice(FAMILY)[: random.randint(2, 4)]},
        lambda: {"text": random.choice(FAMILY), "specialty": random.choice(SPECIALTIES)},
        lambda: {"specialty": random.choice(SPECIALTIES)},
        lambda: {"text": random.choice(glns)},
        lambda: {"text": f"{random.choice(GIVEN)} {random.choice(FAMILY)[:3]}"},
    )
    try:
        for number in range(SEARCHES + 20):
            criteria = kinds[number % len(kinds)]()
            started = time.perf_counter()
            await call(nc, identity.SEARCH_DIRECTORY, identity.DirectorySearch(**criteria), token=resolved.token)
            if number >= 20:  # the first ones warm the plans and caches
                latencies.append(time.perf_counter() - started)
    finally:
        await nc.close()
    p99 = percentile(latencies, 0.99)
    report.figure("directory search latency p50", ms(percentile(latencies, 0.50)))
    report.figure("directory search latency p99", ms(p99), "≤ 50 ms", p99 <= FLOOR_SECONDS)
    report.note("kinds: name start, name and specialty, specialty alone, GLN, given name and family name start")
