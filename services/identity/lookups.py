"""Other services' questions about a physician: the documents service's (is this GLN/RPPS known,
is its account activated?) and notify's (where and how to tell them)."""

from __future__ import annotations

from common.contracts import identity as api
from common.contracts.physicians import PhysicianRef
from common.errors import NotFound

from . import store
from .deps import Deps


async def _account_for(physician: str, deps: Deps) -> store.Account | None:
    try:
        ref = PhysicianRef.from_key(physician)
    except ValueError:
        return None
    kind, number = ("gln", ref.gln) if ref.gln else ("rpps", ref.rpps)
    async with deps.pool.acquire() as conn:
        return await store.account_by_physician(conn, kind, number)  # type: ignore[arg-type]


async def physician_status(msg: api.PhysicianLookup, deps: Deps) -> api.PhysicianStatus:
    """For the documents service: is this GLN/RPPS a known physician with an activated account?"""
    account = await _account_for(msg.physician, deps)
    if account is None or account.role != "physician":
        return api.PhysicianStatus(known=False, activated=False)
    return api.PhysicianStatus(known=True, activated=account.status == "active", account_id=account.id)


async def contact(msg: api.ContactLookup, deps: Deps) -> api.Contact:
    """For notify (where and how to tell a physician about something new) and requests (the names a request carries)."""
    account = await _account_for(msg.physician, deps)
    if account is None:
        raise NotFound()
    return api.Contact(
        account_id=account.id,
        email=account.email,
        display_name=account.display_name,
        locale=account.locale,
        notify_new_documents=account.notify_new_documents,
        family_name=account.family_name,
        given_name=account.given_name,
    )
