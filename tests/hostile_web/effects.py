"""Forms that change something when the one they are for sends them, and how to read that
something: a refused form must leave it as it was, and the same form sent rightly must not."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..portal import Physicians, random_mobile
from .callers import Caller


@dataclass(frozen=True)
class Effect:
    """POST `path` with `form` by the caller named `sender` changes what `state` reads."""

    sender: str
    path: str
    form: dict[str, str]
    state: Callable[[], Awaitable[object]]


EffectMaker = Callable[[Physicians, dict[str, Caller]], Awaitable[Effect]]


async def _account_column(physicians: Physicians, column: str, where: str, value: object) -> object:
    assert physicians.pool is not None
    return await physicians.pool.fetchval(f"SELECT {column} FROM accounts WHERE {where} = $1", value)


async def deactivation(physicians: Physicians, callers: dict[str, Caller]) -> Effect:
    """An administrator deactivates a physician's account."""
    target = await physicians.create()
    return Effect(
        "admin",
        f"/admin/accounts/{target.account_id}/deactivate",
        {"confirm": "1"},
        lambda: _account_column(physicians, "status", "id", uuid.UUID(target.account_id)),
    )


async def staff_creation(physicians: Physicians, callers: dict[str, Caller]) -> Effect:
    """An administrator creates a validator's login."""
    login = f"staff-{uuid.uuid4().hex[:10]}"
    form = {
        "login": login,
        "role": "validator",
        "family_name": "Refusée",
        "given_name": "Jamais",
        "email": f"{login}@hopital.example.ch",
        "mobile": random_mobile(),
    }
    return Effect("admin", "/admin/accounts/new", form, lambda: _account_column(physicians, "count(*)", "login", login))


async def profile_choice(physicians: Physicians, callers: dict[str, Caller]) -> Effect:
    """A physician chooses the page after login and the notification mode (the other of each)."""
    physician = callers["physician"]
    await physician.ready()
    assert physician.account is not None
    account_id = uuid.UUID(physician.account.account_id)
    landing = await _account_column(physicians, "landing_page", "id", account_id)
    form = {
        "notify_new_documents": "none" if landing == "documents" else "each",
        "patients_scope": "all",
        "documents_scope": "all",
        "landing_page": "patients" if landing == "documents" else "documents",
    }

    async def chosen() -> object:
        assert physicians.pool is not None
        row = await physicians.pool.fetchrow(
            "SELECT landing_page, notify_new_documents FROM accounts WHERE id = $1", account_id
        )
        assert row is not None
        return tuple(row)

    return Effect("physician", "/profile", form, chosen)
