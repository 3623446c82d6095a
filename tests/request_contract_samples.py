"""Valid messages of the contract's requests part (CONTRACT.md 1.1), one or more per subject, and
valid `fields` of each request kind: what the unit tests of the models and schemas start from."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from common.contracts import hospital_requests as contract

GLN = "7601000000002"
RPPS = "10000000009"
SHA256 = "0f" * 32

FIELDS: dict[str, dict[str, Any]] = {
    "consultation": {
        "reason": "Douleurs thoraciques d'effort",
        "question": "Indication à une coronarographie ?",
        "clinical_information": "Homme de 62 ans, tabagique.\nECG d'effort positif.",
        "current_treatment": "Aspirine 100 mg",
    },
    "tumor_board": {
        "diagnosis": "Adénocarcinome du côlon sigmoïde",
        "histology": "Adénocarcinome moyennement différencié, MSS",
        "tnm_stage": "cT3 cN1 cM0",
        "earlier_treatments": "Aucun",
        "imaging_references": "CT thoraco-abdominal du 28.11.2026, HUG, ACC 123456",
        "pathology_references": "Biopsie du 20.11.2026, n° B26-4567",
        "question": "Chirurgie d'emblée ou traitement néoadjuvant ?",
    },
    "message": {"request_type": "record_copy", "text": "Pourriez-vous m'envoyer la lettre de sortie de mars ?"},
}
"""A submitted form of each kind, every field answered."""

INLINE = {
    "id": "att-1",
    "file_name": "ecg.pdf",
    "media_type": "application/pdf",
    "size": 1234,
    "sha256": SHA256,
    "data_b64": "JVBERi0xLjQK",
}
STORED = {
    "id": "att-2",
    "file_name": "ct.png",
    "media_type": "image/png",
    "size": 5 * 1024 * 1024,
    "sha256": SHA256,
    "object": "requests/r-2/att-2",
}
PATIENT = {"id": "P-1", "family_name": "Muster", "given_name": "Anna", "birth_date": "1964-03-02", "sex": "female"}
TYPED_PATIENT = {**PATIENT, "id": None}
PHYSICIAN = {"gln": GLN, "family_name": "Favre", "given_name": "Claire"}


def submitted(kind: str = "consultation") -> dict[str, Any]:
    """A valid `portal.requests.submitted` of the kind."""
    return {
        "event_id": f"ev-{kind}",
        "request": {
            "id": f"r-{kind}",
            "kind": kind,
            "service": "CARDIO",
            "domain": "adults" if kind != "message" else None,
            "board": "ONCO-DIG" if kind == "tumor_board" else None,
            "subject": "Demande",
            "urgency": "routine",
            "submitted_at": "2026-12-01T09:00:00Z",
            "fields": copy.deepcopy(FIELDS[kind]),
        },
        "patient": {"consultation": PATIENT, "tumor_board": TYPED_PATIENT, "message": None}[kind],
        "physician": PHYSICIAN if kind != "message" else {"rpps": RPPS, "family_name": "Roux", "given_name": "Paul"},
        "attachments": {"consultation": [INLINE], "tumor_board": [STORED], "message": []}[kind],
    }


_SAMPLES: dict[str, list[Callable[[], dict[str, Any]]]] = {
    contract.SERVICES: [
        lambda: {
            "event_id": "ev-s",
            "service": {
                "code": "ONCO",
                "name": "Oncologie",
                "domain": "both",
                "accepts": ["consultation", "tumor_board", "message"],
                "boards": [{"code": "ONCO-DIG", "name": "Colloque digestif"}],
                "active": True,
            },
            "recorded_at": "2026-12-01T10:00:00+01:00",
        }
    ],
    contract.STATUS_FROM_HOSPITAL: [
        lambda: {
            "event_id": "ev-h",
            "request_id": "r-1",
            "status": "in_progress",
            "changed_at": "2026-12-01T10:00:00+01:00",
            "by": "dpi-cardio",
        }
    ],
    contract.ANSWER: [
        lambda: {
            "event_id": "ev-a",
            "request_id": "r-1",
            "message": {
                "id": "m-1",
                "text": "Merci, RDV le 3.12.",
                "author": "Dr Keller",
                "sent_at": "2026-12-01T11:00:00Z",
            },
            "needs_reply": True,
            "attachments": [INLINE, STORED],
        },
        # needs_reply and attachments left out: false and none
        lambda: {
            "event_id": "ev-b",
            "request_id": "r-1",
            "message": {"id": "m-2", "text": "Reçu.", "author": "Dr Keller", "sent_at": "2026-12-01T11:00:00Z"},
        },
    ],
    contract.SUBMITTED: [
        lambda: submitted("consultation"),
        lambda: submitted("tumor_board"),
        lambda: submitted("message"),
    ],
    contract.PHYSICIAN_MESSAGE: [
        lambda: {
            "event_id": "ev-m",
            "request_id": "r-1",
            "message": {"id": "m-3", "text": "Voici le bilan.\nCordialement", "sent_at": "2026-12-01T12:00:00Z"},
            "attachments": [INLINE],
        }
    ],
    contract.STATUS_FROM_STAFF: [
        lambda: {
            "event_id": "ev-t",
            "request_id": "r-1",
            "status": "closed",
            "changed_at": "2026-12-01T13:00:00Z",
            "by": "mkeller",
        }
    ],
}


def _fresh(sample: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    return lambda: copy.deepcopy(sample())


SAMPLES = {subject: [_fresh(sample) for sample in samples] for subject, samples in _SAMPLES.items()}
"""Valid messages of each subject of the requests part (INCOMING and OUTGOING), each call a new copy."""
