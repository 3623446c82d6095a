"""Mes patients (F2.1): the physician's patients with their counts, and one patient's documents."""

from __future__ import annotations

from aiohttp import web

from common.bus import call
from common.contracts.documents import (
    LIST_DOCUMENTS,
    LIST_PATIENTS,
    ListDocuments,
    ListPatients,
)
from common.errors import NotFound

from ..pages import render_list, with_counters
from ..query import ListQuery
from ..sessions import current_session, current_token
from ..state import bus_of
from .documents import PATIENT_NAME_MAX, PER_PAGE


async def list_patients(request: web.Request) -> web.Response:
    """GET /patients: one page of the physician's patients, searched by name."""
    account = current_session(request).account
    query = ListQuery(request.query)
    wanted = ListPatients(
        page=query.page(), per_page=PER_PAGE, scope=account.patients_scope, name=query.text("name", PATIENT_NAME_MAX)
    )
    listed = call(bus_of(request), LIST_PATIENTS, wanted, token=current_token(request))
    found, counters = await with_counters(request, listed)
    return render_list(
        request,
        "patients.html",
        "_patients_region.html",
        {
            **query.listing("/patients", found.total, wanted.page, found.per_page),
            "counters": counters,
            "patients": found.items,
            "scope": account.patients_scope,
        },
    )


async def patient_documents(request: web.Request) -> web.Response:
    """GET /patients/{id}: every document of one patient, newest first."""
    query = ListQuery(request.query)
    patient_id = request.match_info["id"]
    # The profile's Mes documents choice (F6 d) is not applied here: the patient's page shows what
    # Mes patients counted for them.
    wanted = ListDocuments(page=query.page(), per_page=PER_PAGE, patient=patient_id)
    listed = call(bus_of(request), LIST_DOCUMENTS, wanted, token=current_token(request))
    found, counters = await with_counters(request, listed)
    if not found.items:
        raise NotFound()  # not this physician's patient (or no such page): the same answer
    first = found.items[0]
    return render_list(
        request,
        "patient.html",
        "_documents_region.html",
        {
            **query.listing(f"/patients/{patient_id}", found.total, wanted.page, found.per_page),
            "counters": counters,
            "patient": {
                "id": patient_id,
                "name": first.patient_name,
                "birth_date": first.patient_birth_date,
                "hospital_id": first.patient_hospital_id,
            },
            "documents": found.items,
            "show_patient": False,
        },
    )
