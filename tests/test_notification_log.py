"""The notification log (F10, issue 14): what the portal sent, when, to which address, never the
content. A physician reads theirs from Mon profil; administrators search everyone's by account,
kind and date; every email sent is audited, without its content."""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import pytest

from common.contracts import notifications as api
from common.errors import NotFound, Unauthenticated

from .portal import Hospital, Physicians, PortalEvents, deliver, eventually, outbox_messages
from .test_audit_and_notifications import _audit_events
from .web import SignIn

NO_CONTENT = ("Bonjour", "vous attend", "connectez-vous", "Rochat", "Élodie", "Lettre de sortie")
"""Words of the emails and of the document: never in the log."""


async def _emailed(outbox: Path, address: str, since: int) -> list[dict]:
    async def mailed() -> list[dict] | None:
        return outbox_messages(outbox, "email", address, since) or None

    return await eventually(mailed, what=f"an email to {address}")


async def _settled(notify_db: asyncpg.Pool, account_id: str) -> None:
    async def sent() -> bool | None:
        waiting = await notify_db.fetchval(
            "SELECT count(*) FROM outgoing_emails WHERE account_id = $1 AND state <> 'sent'", account_id
        )
        return True if waiting == 0 else None

    await eventually(sent, what="the emails recorded as sent")


async def test_a_physician_reads_what_was_sent_to_them_and_administrators_search_everyone_s(
    sign_in: SignIn,
    physicians: Physicians,
    hospital: Hospital,
    portal_events: PortalEvents,
    notify_db: asyncpg.Pool,
) -> None:
    doctor, other = await physicians.create(), await physicians.create()
    email = f"{doctor.login}@cabinet.example.ch"
    since = time.time_ns()
    await deliver(portal_events, hospital.episode(), doctor.gln, title="Lettre de sortie")
    await deliver(portal_events, hospital.episode(), other.gln)
    web = await sign_in(doctor)  # a login code by SMS
    await _emailed(physicians.stack.outbox_dir, email, since)
    await _settled(notify_db, doctor.account_id)

    profile = await (await web.get("/profile")).text()
    assert 'href="/profile/notifications"' in profile
    mine = await web.get("/profile/notifications")
    text = await mine.text()
    assert mine.status == 200 and "Les e-mails et SMS que le portail m’a envoyés" in text
    assert "Nouveau document" in text and email in text and "envoyé" in text
    assert "Code de connexion" in text and doctor.mobile in text and "SMS" in text
    assert other.login not in text and other.mobile not in text and doctor.account_id not in text
    for word in NO_CONTENT:
        assert word not in text, word
    assert (await web.get("/admin/notifications")).status == 403  # a physician's own only

    admin = await sign_in(await physicians.create(role="admin"))
    accounts = await (await admin.get(f"/admin/accounts?text={doctor.login}")).text()
    assert 'href="/admin/notifications"' in accounts  # in the navigation
    assert f'href="/admin/notifications?account={doctor.account_id}"' in accounts
    found = await (await admin.get(f"/admin/notifications?account={doctor.account_id}")).text()
    assert "Nouveau document" in found and email in found and doctor.mobile in found and doctor.account_id in found
    assert other.login not in found
    for word in NO_CONTENT:
        assert word not in found, word
    codes = await (await admin.get(f"/admin/notifications?account={doctor.account_id}&category=code")).text()
    assert doctor.mobile in codes and email not in codes
    by_address = await (await admin.get(f"/admin/notifications?account={email.upper()}")).text()
    assert email in by_address and doctor.mobile not in by_address  # the emails to that address
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    later = await (await admin.get(f"/admin/notifications?account={doctor.account_id}&from={tomorrow}")).text()
    assert "Aucun message ne correspond à ces filtres." in later and email not in later
    today = await (await admin.get(f"/admin/notifications?account={doctor.account_id}&to={tomorrow}")).text()
    assert email in today
    assert (await admin.get("/admin/notifications?category=gossip")).status == 400
    everyone = await (await admin.get("/admin/notifications")).text()
    assert "Notifications envoyées" in everyone and "messages" in everyone


async def test_notify_answers_the_log_to_its_own_account_and_the_search_to_administrators_only(
    physicians: Physicians,
) -> None:
    doctor = await physicians.create()
    token = (await physicians.login(doctor)).token
    mine = await physicians.call(api.MY_NOTIFICATIONS, api.NotificationQuery(), token=token)
    assert [item.kind for item in mine.items] == ["code.login"] and mine.items[0].account_id is None
    with pytest.raises(NotFound):  # to anyone but an administrator, the search does not exist
        await physicians.call(api.SEARCH_NOTIFICATIONS, api.NotificationSearch(account=doctor.account_id), token=token)
    with pytest.raises(Unauthenticated):
        await physicians.call(api.MY_NOTIFICATIONS, api.NotificationQuery(), token="not a token")


async def test_every_email_sent_is_audited_without_its_content(
    physicians: Physicians, hospital: Hospital, portal_events: PortalEvents, notify_db: asyncpg.Pool
) -> None:
    doctor = await physicians.create()
    since = time.time_ns()
    await deliver(portal_events, hospital.episode(), doctor.gln, title="Lettre de sortie")
    [message] = await _emailed(physicians.stack.outbox_dir, f"{doctor.login}@cabinet.example.ch", since)

    async def audited() -> list[dict] | None:
        events = [
            event
            for event in _audit_events(portal_events, doctor.account_id)
            if event.get("outcomeDesc", "").startswith("email ")
        ]
        return events or None

    [event] = await eventually(audited, what="the email's audit record")
    assert event["outcomeDesc"] == f"email new_document, Message-ID {message['message_id']}"
    assert "notify" in str(event["agent"])
    for word in NO_CONTENT:
        assert word not in str(event), word
