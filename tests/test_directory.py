"""The physician directory (F7): staff find activated physicians by name (case and accents
ignored), specialty, GLN or RPPS; physicians get not found."""

from __future__ import annotations

import uuid

import pytest

from common.contracts import identity
from common.errors import NotFound

from .portal import Physicians
from .web import SignIn


async def test_staff_find_activated_physicians(physicians: Physicians, sign_in: SignIn) -> None:
    tag = uuid.uuid4().hex[:6]
    found_doctor, pending_doctor = await physicians.create(), await physicians.create(status="pending")
    assert physicians.pool is not None
    async with physicians.pool.acquire() as conn:
        await conn.execute(
            "UPDATE accounts SET family_name = $2, given_name = 'Élodie', specialties = '{Pédiatrie,Cardiologie}' WHERE id = $1",
            uuid.UUID(found_doctor.account_id),
            f"Müller-{tag}",
        )
        await conn.execute(
            "UPDATE accounts SET family_name = $2 WHERE id = $1", uuid.UUID(pending_doctor.account_id), f"Müller-{tag}"
        )
    staff = await physicians.create(role="service_staff")
    session = (await physicians.login(staff)).token

    async def search(**criteria: object) -> list[str]:
        page = await physicians.call(
            identity.SEARCH_DIRECTORY,
            identity.DirectorySearch(**criteria),  # type: ignore[arg-type]
            token=session,
        )
        return [item.id for item in page.items]

    assert await search(text=f"muller-{tag}") == [found_doctor.account_id]  # case, accents; only the activated one
    assert await search(text=f"elodie muller-{tag}") == [found_doctor.account_id]  # given name first
    assert await search(text=found_doctor.gln) == [found_doctor.account_id]
    assert await search(text=f"müller-{tag}", specialty="Pédiatrie") == [found_doctor.account_id]
    assert await search(text=f"müller-{tag}", specialty="Urologie") == []
    assert await search(text="%_") == []  # typed text, not a pattern

    browser = await sign_in(staff)
    page = await browser.get(f"/directory?text=muller-{tag}")
    text = await page.text()
    assert page.status == 200 and f"Müller-{tag} Élodie" in text and "Pédiatrie" in text

    doctor = await physicians.create()
    doctor_session = (await physicians.login(doctor)).token
    with pytest.raises(NotFound):
        await physicians.call(identity.SEARCH_DIRECTORY, identity.DirectorySearch(text="mu"), token=doctor_session)
    assert (await (await sign_in(doctor)).get("/directory")).status == 403
