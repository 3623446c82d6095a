"""7. A service's inbox over HTTP (issue 13, F3.4): its staff members, logged in through the
gateway's login pages (password, then the authenticator app's code), each looping on one box of
the service's inbox at a time, on a keep-alive connection, as Mes documents' physicians do.

The service's requests are written directly in the requests schema with COPY, as the requests
role: a service's history, most of it closed, the rest spread over the boxes and the members."""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from common.search import search_form
from deploy.seed_documents import FAMILY_NAMES, GIVEN_NAMES, TWO_YEARS
from deploy.stack import Stack

from .context import Bench
from .mes_documents import PagesResult, first_pages, measure_pages
from .physicians import Physician, create_physicians, logged_in_browsers, random_gln
from .report import ms, percentile, rate
from .running_stack import requests_connection, vacuum

FLOOR_SECONDS = 0.100
PER_PAGE = 25  # the inbox's page size (gateway/views/inboxes.py)
BOXES = ("new", "mine", "waiting", "closed")
BOX_WEIGHTS = (4, 3, 2, 1)
"""What a member opens: mostly the new requests and their own, now and then the closed ones."""
DEEPER = 0.3
"""How often a member goes past a box's first page (to one of its first ten)."""
STATUSES = (  # status, share, assigned to a member: years of a busy service, a backlog open
    ("submitted", 0.015, False),
    ("received", 0.015, False),
    ("in_progress", 0.03, True),
    ("information_needed", 0.02, True),
    ("answered", 0.08, True),
    ("closed", 0.84, True),
)
SENT_WITHIN = {  # the open ones were sent recently; the others over two years
    "submitted": timedelta(days=7),
    "received": timedelta(days=14),
    "in_progress": timedelta(days=60),
    "information_needed": timedelta(days=60),
}
URGENT_SHARE = 0.1
SENDERS = 400  # physicians who sent the service its requests
SUBJECTS = ("Avis cardiologique", "Douleurs thoraciques", "Bilan de dyspnée", "Contrôle post-opératoire", "Syncope")
COLUMNS = (
    "id",
    "account_id",
    "physician",
    "physician_name",
    "kind",
    "service",
    "domain",
    "subject",
    "urgency",
    "fields",
    "patient",
    "patient_search",
    "status",
    "created_at",
    "updated_at",
    "submitted_at",
    "first_answer_at",
    "assigned_to",
)


async def new_service(stack: Stack, members: list[Physician]) -> str:
    """A service that takes consultations, as the hospital announces them, and its members; its code."""
    code = f"BENCH-{uuid.uuid4().hex[:6].upper()}"
    async with requests_connection(stack) as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO services (code, name, domain, accepts, boards, active, changed_at, changed_by) "
            "VALUES ($1, $2, 'adults', '{consultation,message}', '[]', true, now(), 'hospital')",
            code,
            f"Service {code}",
        )
        await conn.executemany(
            "INSERT INTO service_members (service, account_id, added_by) VALUES ($1, $2, $2)",
            [(code, uuid.UUID(member.account_id)) for member in members],
        )
    return code


def _rows(code: str, count: int, members: list[Physician]) -> list[tuple[Any, ...]]:
    now = datetime.now(UTC)
    senders = [
        (uuid.uuid4(), f"gln:{random_gln()}", f"Dr {random.choice(GIVEN_NAMES)} {random.choice(FAMILY_NAMES)}")
        for _ in range(SENDERS)
    ]
    staff = [uuid.UUID(member.account_id) for member in members]
    statuses = [status for status, _, _ in STATUSES]
    shares = [share for _, share, _ in STATUSES]
    assigned = {status: taken for status, _, taken in STATUSES}
    rows = []
    for number in range(count):
        status = random.choices(statuses, shares)[0]
        account, physician, physician_name = random.choice(senders)
        family, given = random.choice(FAMILY_NAMES), random.choice(GIVEN_NAMES)
        birth = datetime(1930, 1, 1) + timedelta(days=random.randrange(30_000))
        patient = {
            "id": None,
            "family_name": family,
            "given_name": given,
            "birth_date": birth.date().isoformat(),
            "sex": random.choice(["female", "male"]),
        }
        submitted = now - SENT_WITHIN.get(status, TWO_YEARS) * random.random()
        answered = submitted + timedelta(hours=random.randrange(2, 200)) if status in ("answered", "closed") else None
        fields = {"reason": f"Motif {number}", "question": "Quelle prise en charge proposez-vous ?"}
        rows.append(
            (
                uuid.uuid4(),
                account,
                physician,
                physician_name,
                "consultation",
                code,
                "adults",
                f"{random.choice(SUBJECTS)} {number}",
                "urgent" if random.random() < URGENT_SHARE else "routine",
                json.dumps(fields),
                json.dumps(patient),
                search_form(f"{family} {given}"),
                status,
                submitted,
                answered or submitted,
                submitted,
                answered,
                random.choice(staff) if assigned[status] else None,
            )
        )
    return rows


async def seed_requests(stack: Stack, code: str, count: int, members: list[Physician]) -> Counter[str]:
    """`count` sent requests of the service, by COPY; how many of each status."""
    rows = await asyncio.to_thread(_rows, code, count, members)
    async with requests_connection(stack) as conn:
        await conn.copy_records_to_table("requests", records=rows, columns=COLUMNS, schema_name="requests")
    await vacuum(stack, "requests.requests")  # the planner's statistics, the index-only scans' visibility map
    return Counter(row[COLUMNS.index("status")] for row in rows)


def box_pages(counts: Counter[str], members: int) -> dict[str, int]:
    """How many pages each box has (`mine`: half a member's share, which every member has)."""
    sizes = {
        "new": counts["submitted"] + counts["received"],
        "mine": (counts["in_progress"] + counts["information_needed"] + counts["answered"]) // max(1, 2 * members),
        "waiting": counts["information_needed"],
        "closed": counts["closed"],
    }
    return {box: max(1, -(-size // PER_PAGE)) for box, size in sizes.items()}


def inbox_paths(code: str, pages: dict[str, int]) -> Callable[[], str]:
    """A member's next page: a box (weighted), its first page or one of the next nine."""

    def path() -> str:
        box = random.choices(BOXES, BOX_WEIGHTS)[0]
        page = random.randint(2, min(10, pages[box])) if pages[box] > 1 and random.random() < DEEPER else 1
        return f"/inbox?service={code}&box={box}&page={page}"

    return path


async def inbox_section(bench: Bench) -> None:
    """Seed the service's requests, log its members in over HTTP, load the inbox through the gateway."""
    stack, args, report = bench.stack, bench.args, bench.report
    report.title(
        f"7. Requests: a service's inbox over HTTP, {args.staff} staff members, "
        f"{args.inbox_requests:,} requests, {args.load_seconds:g} s"
    )
    bench.phase("inbox: seeding and logins")
    started = time.monotonic()
    members = await create_physicians(stack, args.staff, role="service_staff")
    code = await new_service(stack, members)
    counts = await seed_requests(stack, code, args.inbox_requests, members)
    pages = box_pages(counts, len(members))
    report.note(
        f"seeded {args.inbox_requests:,} requests with COPY and vacuumed them in {time.monotonic() - started:.0f} s: "
        + ", ".join(f"{status} {counts[status]:,}" for status, _, _ in STATUSES)
    )
    base = stack.config.public_url
    # One at a time: identity refuses (429) an attempt that waited on another from the same address
    # whose wait ends after the moment it was counted, even a wait of zero (login_protection._count).
    browsers = await logged_in_browsers(members, base, stack.outbox_dir, at_once=1)
    try:
        await first_pages(browsers, [base], f"/inbox?service={code}&box=new")
        bench.phase("inbox: pages")
        result = await measure_pages(
            browsers, [base], inbox_paths(code, pages), args.load_seconds, args.warm_up, bench.cpu()
        )
    finally:
        await asyncio.gather(*(b.close() for b in browsers))
    _report_inbox(bench, result)


def _report_inbox(bench: Bench, result: PagesResult) -> None:
    report = bench.report
    if not result.latencies:
        report.failed("the inbox", f"no page answered 200 ({dict(result.answers)})")
        return
    if result.errors:
        report.failed("the inbox", f"answers other than 200: {result.errors}")
    p99 = percentile(result.latencies, 0.99)
    report.figure("inbox pages/s", rate(result.rate, "pages/s"))
    report.figure("inbox page latency p50", ms(percentile(result.latencies, 0.50)))
    report.figure("inbox page latency p99", ms(p99), "≤ 100 ms", p99 <= FLOOR_SECONDS)
    answered = max(1, sum(result.answers.values()))
    report.note(
        f"{result.ok:,} pages of {result.body_bytes / answered / 1000:.1f} KB; errors: {result.errors or 'none'}"
    )
    report.note(result.cpu)
