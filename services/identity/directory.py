"""The physician directory (F7): activated physicians, for hospital staff recording a designation
or choosing a recipient. Staff only; to a physician it does not exist."""

from __future__ import annotations

import re

from common.contracts import identity as api
from common.tokens import Caller

from . import store
from .access import staff_account
from .deps import Deps

STAFF_ROLES = ("validator", "admin", "service_staff")
_NUMBER = re.compile(r"[0-9]{11}|[0-9]{13}")


async def search(msg: api.DirectorySearch, caller: Caller, deps: Deps) -> api.DirectoryPage:
    conditions = ["role = 'physician'", "status = 'active'"]
    params: list[object] = []
    text = (msg.text or "").strip()
    if text and _NUMBER.fullmatch(text.replace(" ", "").replace(".", "")):
        params.append(text.replace(" ", "").replace(".", ""))
        conditions.append(f"(gln = ${len(params)} OR rpps = ${len(params)})")
    elif text:
        params.append(store.like_escaped(text))
        n = len(params)
        # the family name's start (the index), or any word of "family given" / "given family"
        conditions.append(
            f"(fold(family_name || ' ' || given_name) LIKE fold(${n}) || '%' "
            f"OR fold(given_name || ' ' || family_name) LIKE fold(${n}) || '%')"
        )
    if msg.specialty:
        params.append([msg.specialty])
        conditions.append(f"specialties @> ${len(params)}::text[]")
    params.append(msg.limit + 1)
    async with deps.pool.acquire() as conn, conn.transaction():
        await staff_account(conn, deps, caller, STAFF_ROLES)
        # The services plan their statements once (generic plans); a name's prefix can only use
        # its index when the plan sees the pattern.
        await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        rows = await conn.fetch(
            "SELECT id::text, family_name, given_name, specialties, email, "
            f"{store.PHYSICIAN_NUMBER} AS number "
            f"FROM accounts WHERE {' AND '.join(conditions)} ORDER BY fold(family_name), fold(given_name), id "
            f"LIMIT ${len(params)}",
            *params,
        )
    entries = [
        api.DirectoryEntry(**{**dict(row), "specialties": list(row["specialties"])}) for row in rows[: msg.limit]
    ]
    return api.DirectoryPage(items=entries, more=len(rows) > msg.limit)
