"""Documents travel from the hospital to the designated physician, through NATS and PostgreSQL."""

from __future__ import annotations

import base64

from common.contracts import documents
from deploy.hospital_sim import make_pdf

from .portal import Hospital, Physicians, PortalEvents, deliver


async def test_designated_document_is_delivered_listed_and_read_byte_for_byte(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    episode = hospital.episode()
    await episode.designate(doctor.gln)
    content = make_pdf("Lettre de sortie", ["Patient : Élodie Rochat", "Traitement : repos"])
    sent = await episode.document(content, title="Lettre de sortie cardiologie", service="Cardiologie")
    document_id = sent["document"]["id"]

    delivered = await portal_events.wait_for("portal.documents.delivered", document_id=document_id)
    assert delivered["physician"] == {"gln": doctor.gln}
    assert delivered["version"] == 1

    session = await physicians.login(doctor)
    page = await physicians.documents(session.token)
    [item] = page.items
    assert (item.title, item.service, item.unread) == ("Lettre de sortie cardiologie", "Cardiologie", True)
    assert item.patient_name == "Rochat Élodie"
    assert str(item.patient_birth_date) == "1979-07-23"

    opened = await physicians.call(
        documents.READ_CONTENT, documents.GetContent(id=item.id, disposition="view"), token=session.token
    )
    assert base64.b64decode(opened.data_b64) == content
    assert opened.media_type == "application/pdf"

    read = await portal_events.wait_for("portal.documents.read", document_id=document_id)
    assert read["physician"] == {"gln": doctor.gln}
    page = await physicians.documents(session.token)
    assert page.items[0].unread is False


async def test_list_is_newest_first(hospital: Hospital, portal_events: PortalEvents, physicians: Physicians) -> None:
    doctor = await physicians.create()
    episode = hospital.episode()
    await deliver(portal_events, episode, doctor.gln, title="Premier")
    await deliver(portal_events, episode, title="Second")
    session = await physicians.login(doctor)
    page = await physicians.documents(session.token)
    assert [item.title for item in page.items] == ["Second", "Premier"]
    assert page.total == 2
