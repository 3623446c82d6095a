"""The daily summary (F10, issue 14): a physician who chose it in Mon profil gets no email per
document or answer but one a day, at the configured hour (Europe/Zurich), with how many came
and links to their lists, nothing of a patient; none when nothing is new; once per physician and
day however many copies of notify run it, and after a restart. The tests set the time: each runs
the summaries "as of" a moment of its choosing, as notify's own loop does with its clock.

"Aucune" (none) sends nothing, for documents as for answers (answers: test_answers_arriving)."""

from __future__ import annotations

import asyncio
import os
import re
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from functools import partial
from unittest import mock
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from playwright.async_api import Browser, Page, expect

from common.contracts import identity
from common.contracts import requests as api
from common.outages import Outages
from deploy.stack import Stack
from services.notify import handlers, messages
from services.notify.config import NotifySettings
from services.notify.summaries import DailySummaries, scheduled_moment

from .portal import Episode, Hospital, Physician, Physicians, PortalEvents, deliver, eventually, outbox_messages

ZURICH = ZoneInfo("Europe/Zurich")
SECRETS = ("Rochat", "Élodie", "1979", "Lettre de sortie")
"""What a summary must never name: the patient of `Episode`, the documents' title."""


@pytest.mark.unit
def test_the_moment_is_the_configured_hour_in_zurich_the_latest_one_passed() -> None:
    def zurich(*moment: int) -> datetime:
        return datetime(*moment, tzinfo=ZURICH)

    assert scheduled_moment(zurich(2026, 3, 4, 7, 0), 7) == zurich(2026, 3, 4, 7, 0)
    assert scheduled_moment(zurich(2026, 3, 4, 6, 59), 7) == zurich(2026, 3, 3, 7, 0)  # before the hour: yesterday's
    assert scheduled_moment(zurich(2026, 3, 4, 23, 0), 7) == zurich(2026, 3, 4, 7, 0)
    # Summer time: 07:00 in Zurich is 05:00 UTC (winter: 06:00).
    assert scheduled_moment(datetime(2026, 7, 1, 5, 30, tzinfo=UTC), 7) == datetime(2026, 7, 1, 5, 0, tzinfo=UTC)
    assert scheduled_moment(datetime(2026, 1, 15, 5, 30, tzinfo=UTC), 7) == datetime(2026, 1, 14, 6, 0, tzinfo=UTC)
    # The night the clocks go forward (29 March 2026, 02:00 -> 03:00): 02:00 comes as 03:00.
    assert scheduled_moment(zurich(2026, 3, 29, 4, 0), 2) == zurich(2026, 3, 29, 3, 0)


@pytest.mark.unit
@pytest.mark.parametrize("language", ["fr", "de", "it", "en"])
def test_the_summary_says_how_many_with_a_link_to_each_list_and_nothing_else(language: str) -> None:
    both = messages.compose(
        messages.DAILY_SUMMARY, language, "https://p.example/", {"documents": 3, "answers": 1, "since": "day"}
    )
    one = messages.compose(
        messages.DAILY_SUMMARY, language, "https://p.example", {"documents": 1, "answers": 0, "since": "last_summary"}
    )
    if language == "fr":
        assert both.subject == "Votre résumé quotidien du portail" and "dernières 24 heures" in both.body
        assert "- 3 nouveaux documents : https://p.example/documents\n" in both.body
        assert "- 1 nouvelle réponse à vos demandes : https://p.example/requests\n" in both.body
        assert "- 1 nouveau document : https://p.example/documents\n" in one.body and "dernier résumé" in one.body
    elif language == "de":
        assert both.subject == "Ihre tägliche Zusammenfassung des Portals" and "letzten 24 Stunden" in both.body
        assert "- 3 neue Dokumente: https://p.example/documents\n" in both.body
        assert "- 1 neue Antwort auf Ihre Anfragen: https://p.example/requests\n" in both.body
        assert "- 1 neues Dokument: https://p.example/documents\n" in one.body and "letzten Zusammenfassung" in one.body
    elif language == "it":
        assert both.subject == "Il Suo riepilogo giornaliero del portale" and "ultime 24 ore" in both.body
        assert "- 3 nuovi documenti: https://p.example/documents\n" in both.body
        assert "- 1 nuova risposta alle Sue richieste: https://p.example/requests\n" in both.body
        assert "- 1 nuovo documento: https://p.example/documents\n" in one.body and "ultimo riepilogo" in one.body
    else:
        assert both.subject == "Your daily summary of the portal" and "last 24 hours" in both.body
        assert "- 3 new documents: https://p.example/documents\n" in both.body
        assert "- 1 new answer to your requests: https://p.example/requests\n" in both.body
        assert "- 1 new document: https://p.example/documents\n" in one.body and "last summary" in one.body
    assert "/requests" not in one.body  # no line for what did not come


def notify_settings(stack: Stack) -> NotifySettings:
    """The settings the stack's notify reads from its environment (the configured hour)."""
    with mock.patch.dict(os.environ, stack.environment("notify")):
        return NotifySettings.from_env()


def next_summary(hour: int, after: datetime) -> datetime:
    """The first moment at `hour` o'clock in Zurich after `after` (what counts since `after`)."""
    return scheduled_moment(after + timedelta(days=1), hour)


@pytest.fixture
async def summaries(stack: Stack, notify_db: asyncpg.Pool) -> AsyncIterator[DailySummaries]:
    """The daily summaries as a copy of notify runs them, at the hour the stack's notify is configured
    with; the stack's own notify sends the emails they write."""
    nc = await stack.connect_nats("notify")  # asks identity for contacts as notify does
    settings = notify_settings(stack)
    yield DailySummaries(
        notify_db, partial(handlers.find_contact, nc), "localhost", settings.daily_summary_hour, Outages()
    )
    await nc.close()


async def choose(physicians: Physicians, token: str, mode: identity.NotifyMode) -> None:
    profile = identity.Profile(
        notify_new_documents=mode, specialties=[], patients_scope="all", documents_scope="all", landing_page="documents"
    )
    await physicians.call(identity.SAVE_PROFILE, profile, token=token)


async def answer_arrives(stack: Stack, doctor: Physician) -> None:
    """The requests service says a service answered one of the physician's requests."""
    said = api.AnswerArrived(
        event_id=uuid.uuid4().hex,
        request_id=uuid.uuid4(),
        account_id=uuid.UUID(doctor.account_id),
        physician=doctor.key,
    )
    nc = await stack.connect_nats("requests")
    try:
        await nc.jetstream().publish(
            api.ANSWER_ARRIVED.subject, said.model_dump_json().encode(), headers={"Nats-Msg-Id": said.event_id}
        )
    finally:
        await nc.close()


async def kept_for_summary(notify_db: asyncpg.Pool, doctor: Physician, count: int) -> None:
    async def kept() -> bool | None:
        waiting = await notify_db.fetchval(
            "SELECT count(*) FROM digest_items WHERE account_id = $1 AND summary_day IS NULL", doctor.account_id
        )
        return True if waiting == count else None

    await eventually(kept, what=f"{count} events kept for the summary")


async def two_documents_and_an_answer(
    stack: Stack, hospital: Hospital, portal_events: PortalEvents, notify_db: asyncpg.Pool, doctor: Physician
) -> Episode:
    """Two documents of a new episode delivered and an answer arrived, kept for the summary."""
    episode = hospital.episode()
    await deliver(portal_events, episode, doctor.gln, title="Lettre de sortie")
    await deliver(portal_events, episode, title="Lettre de sortie")
    await answer_arrives(stack, doctor)
    await kept_for_summary(notify_db, doctor, 3)
    return episode


def emails_to(stack: Stack, doctor: Physician, since: int) -> list[dict]:
    return outbox_messages(stack.outbox_dir, "email", f"{doctor.login}@cabinet.example.ch", since)


async def summary_to(stack: Stack, doctor: Physician, since: int) -> dict:
    async def mailed() -> dict | None:
        found = emails_to(stack, doctor, since)
        return found[-1] if found else None

    return await eventually(mailed, what="the daily summary")


async def test_one_summary_a_day_with_the_counts_once_whatever_the_copies_and_none_when_nothing_is_new(
    stack: Stack,
    physicians: Physicians,
    hospital: Hospital,
    portal_events: PortalEvents,
    notify_db: asyncpg.Pool,
    summaries: DailySummaries,
) -> None:
    doctor = await physicians.create()
    await choose(physicians, (await physicians.login(doctor)).token, "digest")
    since, started = time.time_ns(), datetime.now(UTC)
    episode = await two_documents_and_an_answer(stack, hospital, portal_events, notify_db, doctor)
    assert emails_to(stack, doctor, since) == []  # nothing one by one

    due = next_summary(summaries.hour, started)
    await summaries.run_due(due - timedelta(minutes=1))  # before the hour: not this summary yet
    await kept_for_summary(notify_db, doctor, 3)
    # Two copies of notify at the hour, then one restarted later the same day: one summary.
    other_copy = DailySummaries(summaries.pool, summaries.contacts, "localhost", summaries.hour, Outages())
    await asyncio.gather(summaries.run_due(due), other_copy.run_due(due + timedelta(seconds=5)))
    await summaries.run_due(due + timedelta(hours=3))
    message = await summary_to(stack, doctor, since)
    assert message["subject"] == "Votre résumé quotidien du portail"
    body = message["body"]
    assert "au cours des dernières 24 heures" in body  # the first summary
    assert f"- 2 nouveaux documents : {stack.config.public_url}/documents\n" in body
    assert f"- 1 nouvelle réponse à vos demandes : {stack.config.public_url}/requests\n" in body
    for secret in SECRETS:
        assert secret not in f"{message['subject']} {body}"
    kinds = await notify_db.fetch("SELECT kind FROM outgoing_emails WHERE account_id = $1", doctor.account_id)
    assert [row["kind"] for row in kinds] == ["daily_summary"]
    # Hours past the moment, whatever the clocks did in between (summer time).
    await summaries.run_due(due + timedelta(days=1, hours=2))  # nothing new the next day: nothing
    await deliver(portal_events, episode, title="Lettre de sortie")  # then a document
    await kept_for_summary(notify_db, doctor, 1)
    later = time.time_ns()
    await summaries.run_due(due + timedelta(days=2, hours=2))
    second = await summary_to(stack, doctor, later)
    assert "depuis votre dernier résumé" in second["body"] and "- 1 nouveau document :" in second["body"]
    assert "/requests" not in second["body"]
    assert len(emails_to(stack, doctor, since)) == 2
    sent = await notify_db.fetch(
        "SELECT day, documents, answers FROM daily_summaries WHERE account_id = $1 ORDER BY day", doctor.account_id
    )
    day = due.astimezone(ZURICH).date()
    assert [tuple(row) for row in sent] == [(day, 2, 1), (day + timedelta(days=2), 1, 0)]  # none the day between


async def test_aucune_sends_nothing_for_a_document_nor_keeps_it_for_a_summary(
    stack: Stack,
    physicians: Physicians,
    hospital: Hospital,
    portal_events: PortalEvents,
    notify_db: asyncpg.Pool,
) -> None:
    quiet, other = await physicians.create(), await physicians.create()
    await choose(physicians, (await physicians.login(quiet)).token, "none")
    since = time.time_ns()
    await deliver(portal_events, hospital.episode(), quiet.gln)
    await answer_arrives(stack, quiet)
    await deliver(portal_events, hospital.episode(), other.gln)  # notify takes the deliveries in order

    async def mailed() -> list[dict] | None:
        return emails_to(stack, other, since) or None

    await eventually(mailed, what="the other physician's email")
    assert emails_to(stack, quiet, since) == []
    kept = await notify_db.fetchval(
        "SELECT (SELECT count(*) FROM outgoing_emails WHERE account_id = $1) "
        "+ (SELECT count(*) FROM digest_items WHERE account_id = $1)",
        quiet.account_id,
    )
    assert kept == 0


async def test_the_physician_chooses_the_summary_and_follows_its_link_through_the_login(
    stack: Stack,
    browser: Browser,
    physicians: Physicians,
    hospital: Hospital,
    portal_events: PortalEvents,
    notify_db: asyncpg.Pool,
    summaries: DailySummaries,
) -> None:
    """In Chromium: the profile's choice says what happens; documents and an answer arrive; the
    test runs the summaries at the configured hour; the email has the counts and links, and a
    link opens its page once the physician has logged in."""
    doctor = await physicians.create()
    base = stack.config.public_url
    context = await browser.new_context(locale="fr-CH")
    try:
        page = await context.new_page()
        await log_in(page, base, physicians, doctor, f"{base}/profile")
        hour = f"{summaries.hour:02d}:00"
        choice = page.get_by_label(
            f"Un e-mail par jour à {hour} (heure suisse) : le nombre de nouveaux documents et de nouvelles "
            "réponses, avec des liens ; aucun s’il n’y a rien de nouveau"
        )
        await choice.check()
        await page.get_by_role("button", name="Confirmer").click()
        await page.wait_for_url(f"{base}/documents")
        await page.goto(f"{base}/profile")
        await expect(choice).to_be_checked()
        await context.clear_cookies()  # logged out

        since, started = time.time_ns(), datetime.now(UTC)
        await two_documents_and_an_answer(stack, hospital, portal_events, notify_db, doctor)
        await summaries.run_due(next_summary(summaries.hour, started))  # the test's clock: the configured hour
        message = await summary_to(stack, doctor, since)
        assert "- 2 nouveaux documents :" in message["body"] and "- 1 nouvelle réponse" in message["body"]
        links = re.findall(r"https?://\S+", message["body"])
        assert links == [f"{base}/documents", f"{base}/requests"]

        await page.goto(links[1])  # the link, logged out: the login first, then the page it names
        assert page.url.startswith(f"{base}/login?next=")
        await log_in(page, base, physicians, doctor, f"{base}/requests")
        await expect(page.get_by_role("heading", name="Mes demandes")).to_be_visible()
    finally:
        await context.close()


async def log_in(page: Page, base: str, physicians: Physicians, doctor: Physician, landing: str) -> None:
    """The login form in the page (password, then the SMS code), to `landing`."""
    if not page.url.startswith(f"{base}/login"):
        await page.goto(landing)
    since = time.time_ns()
    await page.get_by_label("Identifiant").fill(doctor.login)
    await page.get_by_label("Mot de passe").fill(doctor.password)
    await page.get_by_role("button", name="Continuer", exact=True).click()
    await page.wait_for_url(f"{base}/login/code")
    code = await physicians.sms_code(doctor.mobile, since)
    await page.get_by_label(re.compile("Code", re.I)).fill(code)
    await page.get_by_role("button", name=re.compile("Valider|Se connecter|Continuer", re.I)).click()
    await page.wait_for_url(landing)
