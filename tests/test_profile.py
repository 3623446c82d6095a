"""Mon profil (F6): a) to e) saved at once by "Confirmer", which opens the chosen landing page;
specialties only from the federal titles; physicians only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from common.contracts import identity
from deploy import hospital_sim

from .portal import Hospital, Physicians, PortalEvents, deliver
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


async def test_mes_patients_keeps_the_months_the_profile_says(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians, sign_in: SignIn
) -> None:
    """F6 c) offered the patients of the last 12 months while Mes patients kept 90 days (issue 14):
    each period offered is the one kept, and the list says which."""
    doctor = await physicians.create()
    for family_name, days_ago in (("Deuxmois", 60), ("Cinqmois", 150), ("Onzemois", 330), ("Treizemois", 400)):
        episode = hospital.episode(patient=hospital_sim.patient(family_name, "Test", "1970-01-01", "female"))
        created_at = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()
        await deliver(portal_events, episode, doctor.gln, created_at=created_at)
    browser = await sign_in(doctor)
    profile = await (await browser.get("/profile")).text()
    for months in ("3", "6", "12"):
        assert f'value="last_{months}_months"' in profile and f"Les patients des {months} derniers mois" in profile
    choices = {"notify_new_documents": "each", "documents_scope": "all", "landing_page": "patients"}
    shown = {
        "last_3_months": ["Deuxmois"],
        "last_6_months": ["Deuxmois", "Cinqmois"],
        "last_12_months": ["Deuxmois", "Cinqmois", "Onzemois"],
        "all": ["Deuxmois", "Cinqmois", "Onzemois", "Treizemois"],
    }
    for scope, names in shown.items():
        saved = await browser.post_form("/profile", {**choices, "patients_scope": scope})
        assert saved.status == 303 and saved.headers["Location"] == "/patients"
        page = await (await browser.get("/patients")).text()
        assert re.findall(r">(\w+) Test</a>", page) == names, scope
        months = scope.split("_")[1] if scope != "all" else None
        note = f"ces {months} derniers mois sont affichés" if months else "Seuls les patients"
        assert (note in page) == bool(months) and "90 derniers jours" not in page, scope
