"""Mon profil (F6): what a physician chooses for themselves; "Confirmer" saves it all at once."""

from __future__ import annotations

import uuid

from asyncpg import Record

from common.contracts import identity as api
from common.contracts.base import Empty
from common.db import fetch_one
from common.tokens import Caller

from . import trail
from .access import session_account
from .deps import Deps

_COLUMNS = "notify_new_documents, specialties, patients_scope, documents_scope, landing_page, locale"


async def get_profile(msg: Empty, caller: Caller, deps: Deps) -> api.Profile:
    async with deps.pool.acquire() as conn:
        _, account = await session_account(conn, deps, caller)
        row = await fetch_one(conn, f"SELECT {_COLUMNS} FROM accounts WHERE id = $1", uuid.UUID(account.id))
    return _profile(row)


def _profile(row: Record) -> api.Profile:
    # An account's language from before it was chosen here (or none of notify's) reads as French.
    locale = api.account_language(row["locale"])
    return api.Profile(**{**dict(row), "specialties": list(row["specialties"]), "locale": locale})


async def save_profile(msg: api.Profile, caller: Caller, deps: Deps) -> api.Profile:
    """Save it all; the language of emails and SMS only when one is chosen (None keeps it)."""
    async with deps.outbox.transaction() as conn:
        _, account = await session_account(conn, deps, caller)
        row = await fetch_one(
            conn,
            "UPDATE accounts SET notify_new_documents = $2, specialties = $3, patients_scope = $4, documents_scope = $5, "
            "landing_page = $6, locale = coalesce($7, locale), "
            f"profile_confirmed_at = coalesce(profile_confirmed_at, now()) WHERE id = $1 RETURNING {_COLUMNS}",
            uuid.UUID(account.id),
            msg.notify_new_documents,
            msg.specialties,
            msg.patients_scope,
            msg.documents_scope,
            msg.landing_page,
            msg.locale,
        )
        await trail.record(conn, "profile.saved", by=account, entity=trail.account(account.id))
    return _profile(row)
