"""The audit log as people read it (F9): administrators search it (by account, action, period and
object, 50 a page), a physician sees their own logins, documents opened and sessions ended
("Mon activité"), and no one else's; what a record says is shown as text."""

from __future__ import annotations

import re
import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from common.contracts import audit, documents, identity
from common.contracts.base import Empty
from common.errors import NotFound, Unauthenticated
from deploy.stack import Stack

from .portal import Hospital, Physician, Physicians, PortalEvents, Session, deliver, eventually
from .web import SignIn

ZURICH = ZoneInfo("Europe/Zurich")

# -- the administrators' search ---------------------------------------------------------------------------


async def _logged_in_from(physicians: Physicians, doctor: Physician, address: str) -> Session:
    """Password, then the SMS code, from `address` (as the gateway passes the browser's)."""
    since = time.time_ns()
    challenge = await physicians.call(
        identity.LOG_IN_WITH_PASSWORD,
        identity.PasswordLogin(login=doctor.login, password=doctor.password, client_ip=address),
    )
    code = await physicians.sms_code(doctor.mobile, since, challenge.challenge)
    opened = await physicians.call(
        identity.LOG_IN_WITH_CODE, identity.CodeLogin(challenge=challenge.challenge, code=code, client_ip=address)
    )
    resolved = await physicians.call(identity.RESOLVE_SESSION, identity.SessionRef(session=opened.session))
    return Session(opened.session, resolved.token)


async def _records_about(stack: Stack, entity: str, count: int, detail: str = "") -> None:
    """`count` records naming `entity`, written as the requests service writes its own."""
    nc = await stack.connect_nats("requests")
    try:
        for number in range(count):
            record = audit.AuditRecord(
                action="request.status_changed",
                outcome="success",
                actor=audit.Party(kind="hospital"),
                entity=audit.Entity(kind="request", id=entity, version=number + 1),
                detail=detail,
            )
            await nc.jetstream().publish(
                audit.subject_for("requests"),
                record.model_dump_json().encode(),
                headers={"Nats-Msg-Id": record.event_id},
            )
    finally:
        await nc.close()


def _actions(page: str) -> list[str]:
    """The actions of the records a search page lists."""
    return re.findall(r'<td [^>]*class="identifier"[^>]*>([a-z_.]+)<br>', page)


async def test_administrators_search_the_log_by_account_action_period_and_object(
    stack: Stack, physicians: Physicians, sign_in: SignIn
) -> None:
    doctor = await physicians.create()
    await _logged_in_from(physicians, doctor, "198.51.100.41")
    admin = await sign_in(await physicians.create(role="admin"))

    async def about_the_doctor() -> str | None:
        page = await admin.get(f"/admin/audit?account={doctor.account_id}")
        text = await page.text()
        assert page.status == 200
        return text if "login.code" in text else None

    text = await eventually(about_the_doctor, what="the doctor's login in the log")
    assert "login.password" in text and "198.51.100.41" in text and doctor.account_id in text
    assert "Journal d’audit" in text and 'aria-current="page"' in text

    assert {"login.password", "login.code"} <= set(_actions(text))
    only_codes = await (await admin.get(f"/admin/audit?account={doctor.account_id}&action=login.code")).text()
    assert set(_actions(only_codes)) == {"login.code"}
    today = datetime.now(ZURICH).date()
    for period, found in (
        (f"from={today}&to={today}", True),
        (f"from={today + timedelta(days=1)}", False),
        (f"to={today - timedelta(days=1)}", False),
        (f"from={today:%d.%m.%Y}", True),  # as a browser without a date picker sends it
    ):
        listed = await (await admin.get(f"/admin/audit?account={doctor.account_id}&{period}")).text()
        assert ("login.code" in _actions(listed)) is found, period
        assert ("Aucun enregistrement ne correspond à ces filtres." in listed) is not found, period

    # an object's records, 50 a page, newest first
    entity = f"REQ-{uuid.uuid4().hex[:8]}"
    await _records_about(stack, entity, 53)

    async def all_stored() -> str | None:
        text = await (await admin.get(f"/admin/audit?entity={entity}")).text()
        return text if "53 enregistrements" in text else None

    first = await eventually(all_stored, what="53 records of the object")
    assert first.count(f">{entity}<") == 50 and "version 53" in first and "version 3<" not in first
    assert f'href="/admin/audit?entity={entity}&amp;page=2"' in first
    second = await admin.get(f"/admin/audit?entity={entity}&page=2")
    assert (await second.text()).count(f">{entity}<") == 3 and "version 1<" in await second.text()
    assert (await admin.get(f"/admin/audit?entity={entity}&page=3")).status == 404


async def test_the_search_refuses_what_no_form_sends_and_everyone_but_administrators(
    stack: Stack, physicians: Physicians, sign_in: SignIn
) -> None:
    admin = await sign_in(await physicians.create(role="admin"))
    for query in ("action=log.everything", "from=yesterday", "account=" + "a" * 65, "page=0"):
        assert (await admin.get(f"/admin/audit?{query}")).status in (400, 404), query
    doctor = await physicians.create()
    session = await physicians.login(doctor)
    doctor_web = await sign_in(doctor)
    assert (await doctor_web.get("/admin/audit")).status == 403
    with pytest.raises(NotFound):  # the service's own check, whatever the gateway does
        await physicians.call(audit.SEARCH_RECORDS, audit.RecordSearch(), token=session.token)
    staff = await physicians.login(await physicians.create(role="validator"))
    with pytest.raises(NotFound):
        await physicians.call(audit.SEARCH_RECORDS, audit.RecordSearch(), token=staff.token)


async def test_what_a_record_says_is_shown_as_text(stack: Stack, physicians: Physicians, sign_in: SignIn) -> None:
    entity = f"<b>REQ-{uuid.uuid4().hex[:8]}</b>"
    await _records_about(stack, entity, 1, detail='<img src=x onerror="alert(1)">')
    admin = await sign_in(await physicians.create(role="admin"))

    async def shown() -> str | None:
        page = await admin.get("/admin/audit", params={"entity": entity})
        text = await page.text()
        return text if "1 enregistrement" in text else None

    text = await eventually(shown, what="the record")
    assert "&lt;img src=x onerror=" in text and "<img src=x" not in text and "<b>REQ-" not in text


# -- "Mon activité" ----------------------------------------------------------------------------------------


async def test_a_physician_sees_their_own_logins_documents_opened_and_sessions_ended(
    stack: Stack, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians, sign_in: SignIn
) -> None:
    doctor, other = await physicians.create(), await physicians.create()
    title = f"Lettre {uuid.uuid4().hex[:8]}"
    await deliver(portal_events, hospital.episode(), doctor.gln, title=title)
    with pytest.raises(Unauthenticated):  # a wrong password: a login refused, on the doctor's account
        await physicians.call(
            identity.LOG_IN_WITH_PASSWORD,
            identity.PasswordLogin(login=doctor.login, password="not-the-password", client_ip="198.51.100.99"),
        )
    session = await _logged_in_from(physicians, doctor, "198.51.100.23")
    [delivery] = (await physicians.documents(session.token)).items
    await physicians.content(session.token, delivery.id, "view")
    await physicians.content(session.token, delivery.id, "download")
    elsewhere = await _logged_in_from(physicians, doctor, "198.51.100.24")
    opened = (await physicians.call(identity.LIST_SESSIONS, Empty(), token=session.token)).items
    [other_session] = [item for item in opened if item.client_ip == "198.51.100.24"]
    await physicians.call(identity.END_OTHER_SESSION, identity.OtherSession(id=other_session.id), token=session.token)
    assert not await physicians.alive(elsewhere)
    await physicians.call(identity.END_SESSION, identity.SessionRef(session=session.secret))

    browsing = await sign_in(doctor)

    async def everything() -> str | None:
        page = await browsing.get("/activity")
        text = await page.text()
        assert page.status == 200
        return text if text.count("Session terminée") == 2 and "Document téléchargé" in text else None

    text = await eventually(everything, what="the whole activity")
    assert "Mon activité" in text and 'href="/activity" aria-current="page"' in text
    assert "Connexion refusée" in text and "198.51.100.99" in text
    assert text.count("mot de passe et code SMS") >= 3 and "198.51.100.23" in text and "198.51.100.24" in text
    assert "Document ouvert" in text and f'<a href="/documents/{delivery.id}">{title}</a>' in text
    assert "depuis une autre session" in text and "déconnexion" in text

    documents_only = await (await browsing.get("/activity?kind=documents")).text()
    assert (
        title in documents_only and "198.51.100.23" not in documents_only and "Session terminée" not in documents_only
    )
    assert "2 entrées" in documents_only

    # another physician's activity holds none of this; an administrator has none
    theirs = await (await (await sign_in(other)).get("/activity")).text()
    for secret in (title, delivery.id, "198.51.100.23", "198.51.100.99", doctor.account_id):
        assert secret not in theirs
    admin = await physicians.create(role="admin")
    assert (await (await sign_in(admin)).get("/activity")).status == 403
    with pytest.raises(NotFound):
        await physicians.call(audit.MY_ACTIVITY, audit.ActivityQuery(), token=(await physicians.login(admin)).token)


async def test_a_document_s_title_is_only_its_recipient_s(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    """The documents service names only the caller's documents for "Mon activité"."""
    doctor, other = await physicians.create(), await physicians.create()
    sent = await deliver(portal_events, hospital.episode(), doctor.gln, title=f"Lettre {uuid.uuid4().hex[:8]}")
    ref = documents.DocumentVersionRef(document_id=sent["document"]["id"], version=sent["document"]["version"])
    mine = await physicians.call(
        documents.NAME_DOCUMENTS, documents.NameDocuments(documents=[ref]), token=(await physicians.login(doctor)).token
    )
    assert [item.title for item in mine.items] == [sent["document"]["title"]]
    theirs = await physicians.call(
        documents.NAME_DOCUMENTS, documents.NameDocuments(documents=[ref]), token=(await physicians.login(other)).token
    )
    assert theirs.items == []
