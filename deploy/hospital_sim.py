"""A hospital simulator: publishes designations and documents through the contract, as the EHR would.

    python -m deploy.hospital_sim                  # a new episode for the demo physician, 3 documents
    python -m deploy.hospital_sim --gln 7601000000002 --documents 5

It connects as the `hospital` NATS user (credentials from var/secrets/nats-users.json, or
HOSPITAL_NATS_URL / HOSPITAL_NATS_USER / HOSPITAL_NATS_PASSWORD) and uses JetStream publish
with `Nats-Msg-Id` = event_id, exactly as CONTRACT.md asks of the hospital's systems.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import random
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import nats
import nats.errors
from fpdf import FPDF

from common.bus import inbox_prefix

DEMO_GLN = "7601000000002"
SERVICES = ["Cardiologie", "Oncologie", "Médecine interne", "Chirurgie viscérale", "Radiologie"]
TITLES = {
    "discharge_letter": "Lettre de sortie",
    "consultation_report": "Rapport de consultation",
    "operative_report": "Protocole opératoire",
    "imaging_report": "Compte-rendu d'imagerie",
    "lab_report": "Résultats de laboratoire",
}
PATIENTS = [
    ("Dupont", "Marie", "1956-03-14", "female"),
    ("Müller", "Jean-François", "1948-11-02", "male"),
    ("Rochat", "Élodie", "1979-07-23", "female"),
    ("Nguyen", "Thierry", "1990-01-30", "male"),
]


def make_pdf(title: str, lines: list[str]) -> bytes:
    """A small real PDF document."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    for line in lines:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def now() -> str:
    return datetime.now(UTC).isoformat()


def patient(
    family_name: str, given_name: str, birth_date: str, sex: str, patient_id: str | None = None
) -> dict[str, Any]:
    return {
        "id": patient_id or f"P{uuid.uuid4().hex[:10].upper()}",
        "family_name": family_name,
        "given_name": given_name,
        "birth_date": birth_date,
        "sex": sex,
    }


def designation(
    episode_id: str,
    patient_: dict[str, Any],
    physician: dict[str, str],
    *,
    action: str = "designate",
    consent: bool = True,
    service: str = "Médecine interne",
    kind: str = "stay",
) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4().hex,
        "action": action,
        "episode": {"id": episode_id, "kind": kind, "service": service},
        "patient": patient_,
        "physician": physician,
        "electronic_consent": consent,
        "recorded_at": now(),
    }


def document(
    episode_id: str,
    patient_: dict[str, Any],
    content: bytes,
    *,
    document_id: str | None = None,
    version: int = 1,
    category: str = "discharge_letter",
    title: str = "Lettre de sortie",
    service: str = "Médecine interne",
    author: str = "Dr A. Martin",
    status: str = "final",
    communicating: bool = True,
    manual: dict[str, Any] | None = None,
    media_type: str = "application/pdf",
    created_at: str | None = None,
) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4().hex,
        "document": {
            "id": document_id or f"DOC-{uuid.uuid4().hex[:12]}",
            "version": version,
            "category": category,
            "title": title,
            "service": service,
            "author": author,
            "status": status,
            "communicating": communicating,
            "created_at": created_at or now(),
        },
        "episode_id": episode_id,
        "patient": patient_,
        "content": {
            "media_type": media_type,
            "sha256": hashlib.sha256(content).hexdigest(),
            "data_b64": base64.b64encode(content).decode(),
        },
        "manual": manual,
    }


PUBLISH_ATTEMPTS = 5


async def publish(js: Any, subject: str, message: dict[str, Any]) -> None:
    """JetStream publish with the event_id as Nats-Msg-Id, as the contract asks; published again
    while no acknowledgement comes in time (a busy server), under the same id: the stream keeps
    it once. What still has none after the last attempt raises."""
    data = json.dumps(message).encode()
    headers = {"Nats-Msg-Id": message["event_id"]}
    for attempt in range(1, PUBLISH_ATTEMPTS + 1):
        try:
            await js.publish(subject, data, headers=headers)
            return
        except nats.errors.TimeoutError:
            if attempt == PUBLISH_ATTEMPTS:
                raise


async def publish_demo(js: Any, gln: str, documents: int) -> list[str]:
    """A new episode for a random demo patient, designated to `gln`, and its documents."""
    family, given, birth, sex = random.choice(PATIENTS)
    person = patient(family, given, birth, sex)
    episode = f"EP-{uuid.uuid4().hex[:10]}"
    service = random.choice(SERVICES)
    await publish(js, "dpi.designations", designation(episode, person, {"gln": gln}, service=service))
    ids = []
    for number in range(documents):
        category = random.choice(list(TITLES))
        title = f"{TITLES[category]} {number + 1}"
        content = make_pdf(
            title,
            [
                f"Patient : {given} {family}, né(e) le {date.fromisoformat(birth):%d.%m.%Y}",
                f"Service : {service}",
                "Document de démonstration généré par le simulateur de l'hôpital.",
            ],
        )
        message = document(episode, person, content, category=category, title=title, service=service)
        await publish(js, "dpi.documents", message)
        ids.append(message["document"]["id"])
    return ids


DEMO_SERVICES: tuple[tuple[str, str, str, list[str], list[dict[str, str]]], ...] = (
    ("CARDIO", "Cardiologie", "adults", ["consultation", "message"], []),
    (
        "ONCO-DIG",
        "Oncologie digestive",
        "adults",
        ["consultation", "tumor_board", "message"],
        [{"code": "TB-DIG", "name": "Colloque des tumeurs digestives"}],
    ),
    ("PED-GEN", "Pédiatrie générale", "paediatrics", ["consultation", "message"], []),
    ("ARCHIVES", "Archives médicales", "both", ["message"], []),
)
"""The services the demo hospital publishes (`dpi.services`): (code, name, domain, accepts, boards)."""
DEMO_SERVICES_RECORDED_AT = "2026-01-01T00:00:00+00:00"
"""Their changes' time: an administrator's later change of a demo service wins over them."""


async def publish_demo_services(js: Any) -> None:
    """The demo directory of services; the same events each time (deduplicated by their id)."""
    for code, name, domain, accepts, boards in DEMO_SERVICES:
        service = {"code": code, "name": name, "domain": domain, "accepts": accepts, "boards": boards, "active": True}
        event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"demo-service:{code}").hex
        message = {"event_id": event_id, "service": service, "recorded_at": DEMO_SERVICES_RECORDED_AT}
        await publish(js, "dpi.services", message)


def _credentials() -> tuple[str, str, str]:
    url = os.environ.get("HOSPITAL_NATS_URL", "nats://127.0.0.1:" + os.environ.get("PORTAL_NATS_PORT", "4222"))
    user = os.environ.get("HOSPITAL_NATS_USER", "hospital")
    password = os.environ.get("HOSPITAL_NATS_PASSWORD")
    if password is None:
        password = json.loads(Path("var/secrets/nats-users.json").read_text())["hospital"]
    return url, user, password


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gln", default=DEMO_GLN, help="the designated physician's GLN")
    parser.add_argument("--documents", type=int, default=3, help="how many documents to publish")
    args = parser.parse_args()
    url, user, password = _credentials()
    nc = await nats.connect(url, user=user, password=password, inbox_prefix=inbox_prefix(user))
    try:
        ids = await publish_demo(nc.jetstream(), args.gln, args.documents)
    finally:
        await nc.close()
    print(f"published a designation and {len(ids)} documents for GLN {args.gln}")


if __name__ == "__main__":
    asyncio.run(main())
