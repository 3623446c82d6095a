"""Mon profil (F6): what a physician chooses for themselves; "Confirmer" saves it all at once."""

from __future__ import annotations

import uuid

from common.contracts import identity as api
from common.contracts.base import Empty
from common.db import fetch_one
from common.tokens import Caller

from . import trail
from .access import session_account
from .deps import Deps

_COLUMNS = "notify_new_documents, specialties, patients_scope, documents_scope, landing_page"


async def get_profile(msg: Empty, caller: Caller, deps: Deps) -> api.Profile:
    async with deps.pool.acquire() as conn:
        _, account = await session_account(conn, deps, caller)
        row = await fetch_one(conn, f"SELECT {_COLUMNS} FROM accounts WHERE id = $1", uuid.UUID(account.id))
    return api.Profile(**{**dict(row), "specialties": list(row["specialties"])})


async def save_profile(msg: api.Profile, caller: Caller, deps: Deps) -> api.Profile:
    async with deps.outbox.transaction() as conn:
        _, account = await session_account(conn, deps, caller)
        await conn.execute(
            "UPDATE accounts SET notify_new_documents = $2, specialties = $3, patients_scope = $4, documents_scope = $5, "
            "landing_page = $6, profile_confirmed_at = coalesce(profile_confirmed_at, now()) WHERE id = $1",
            uuid.UUID(account.id),
            msg.notify_new_documents,
            msg.specialties,
            msg.patients_scope,
            msg.documents_scope,
            msg.landing_page,
        )
        await trail.record(conn, "profile.saved", by=account, entity=trail.account(account.id))
    return msg
