"""Sessions: a new random handle of at least 128 bits at each login, 30 minutes idle and 12 hours
at most, and a physician sees their open sessions and ends the ones they do not recognise."""

from __future__ import annotations

import base64
import hashlib

import pytest

from common.contracts import identity
from common.contracts.base import Empty
from common.errors import NotFound

from .portal import Physicians, Session


async def _age(physicians: Physicians, session: Session, created: str, last_seen: str) -> None:
    assert physicians.pool is not None
    async with physicians.pool.acquire() as conn:
        await conn.execute(
            f"UPDATE sessions SET created_at = now() - interval '{created}', last_seen_at = now() - interval '{last_seen}' "
            "WHERE secret_hash = $1",
            hashlib.sha256(session.secret.encode()).digest(),
        )


async def test_each_login_gets_a_new_random_handle_of_at_least_128_bits(physicians: Physicians) -> None:
    doctor = await physicians.create()
    first, second = await physicians.login(doctor), await physicians.login(doctor)
    assert first.secret != second.secret
    for session in (first, second):
        assert len(base64.urlsafe_b64decode(session.secret + "=" * (-len(session.secret) % 4))) * 8 >= 128


async def test_idle_for_29_minutes_is_alive_30_is_not(physicians: Physicians) -> None:
    doctor = await physicians.create()
    session = await physicians.login(doctor)
    await _age(physicians, session, "29 minutes", "29 minutes")
    assert await physicians.alive(session)  # and this touched it
    await _age(physicians, session, "1 hour", "30 minutes 1 second")
    assert not await physicians.alive(session)


async def test_twelve_hours_at_most_however_active(physicians: Physicians) -> None:
    doctor = await physicians.create()
    session = await physicians.login(doctor)
    await _age(physicians, session, "11 hours 59 minutes", "1 minute")
    assert await physicians.alive(session)
    await _age(physicians, session, "12 hours 1 second", "1 second")
    assert not await physicians.alive(session)


async def test_a_physician_sees_their_sessions_and_ends_another(physicians: Physicians) -> None:
    doctor, someone = await physicians.create(), await physicians.create()
    here, there = await physicians.login(doctor), await physicians.login(doctor)
    others = await physicians.login(someone)

    listed = await physicians.call(identity.LIST_SESSIONS, Empty(), token=here.token)
    assert len(listed.items) == 2 and [item.current for item in listed.items].count(True) == 1
    [theirs] = [item for item in listed.items if not item.current]

    with pytest.raises(NotFound):  # not someone else's session, and the same answer as a made-up one
        await physicians.call(identity.END_OTHER_SESSION, identity.OtherSession(id=theirs.id), token=others.token)
    with pytest.raises(NotFound):
        await physicians.call(identity.END_OTHER_SESSION, identity.OtherSession(id="not-a-session"), token=here.token)
    await physicians.call(identity.END_OTHER_SESSION, identity.OtherSession(id=theirs.id), token=here.token)
    assert await physicians.alive(here) and not await physicians.alive(there) and await physicians.alive(others)
    listed = await physicians.call(identity.LIST_SESSIONS, Empty(), token=here.token)
    assert [item.current for item in listed.items] == [True]
