"""Mon profil (F6): a) to e) saved at once by "Confirmer", which opens the chosen landing page;
specialties only from the federal titles; physicians only."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from common.contracts import identity

from .portal import Physicians
from .web import SignIn


def test_specialties_are_federal_titles_only() -> None:
    base = {
        "notify_new_documents": "each",
        "patients_scope": "all",
        "documents_scope": "all",
        "landing_page": "documents",
    }
    assert identity.Profile(**base, specialties=["Pédiatrie", "Cardiologie"]).specialties == [
        "Cardiologie",
        "Pédiatrie",
    ]
    with pytest.raises(ValidationError):
        identity.Profile(**base, specialties=["Homéopathie quantique"])


async def test_confirm_saves_and_opens_the_chosen_page(physicians: Physicians, sign_in: SignIn) -> None:
    doctor = await sign_in(await physicians.create())
    page = await doctor.get("/profile")
    text = await page.text()
    assert page.status == 200 and "Mon profil" in text and "Médecine interne générale" in text
    choices = {
        "notify_new_documents": "digest",
        "patients_scope": "with_unread",
        "documents_scope": "unread",
        "landing_page": "patients",
    }
    form = {**choices, "specialties": "Médecine interne générale"}
    saved = await doctor.post_form("/profile", form)
    assert saved.status == 303 and saved.headers["Location"] == "/patients"
    assert (await doctor.get("/")).headers["Location"] == "/patients"
    again = await (await doctor.get("/profile")).text()
    assert 'value="digest" checked' in again and 'value="Médecine interne générale" checked' in again
    refused = await doctor.post_form("/profile", {**form, "landing_page": "elsewhere"})
    assert refused.status == 400 and "Choisissez une réponse" in await refused.text()


async def test_staff_have_no_physician_profile(physicians: Physicians, sign_in: SignIn) -> None:
    staff = await sign_in(await physicians.create(role="validator"))
    assert (await staff.get("/profile")).status == 403
