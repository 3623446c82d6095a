"""The daily summary (F10): once a day, at the configured hour (Europe/Zurich), one email to each
physician who chose it in their profile, with how many new documents and answers to their
requests came since their last summary (the last 24 hours for a first one), and links to their
lists: no patient, no document, no request named. Nothing new, nothing sent.

The events are kept as they are consumed (handlers.py: `digest_items`). Every copy of notify
looks every CHECK_SECONDS; each physician's summary of a day has a key (`daily_summaries`, the
account and the day) taken in the transaction that writes its email in the ledger, before
anything is sent, and the ledger sends each email once (sending.py): several copies, or a
restart, send it once. A copy that was not running at the hour sends the day's summaries late,
once it runs.

The moment is an argument (`DailySummaries.run_due(now)`): tests set the time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import asyncpg

from common.contracts.identity import Contact
from common.outages import Outages, dependency_of

from .handlers import FindContact
from .messages import DAILY_SUMMARY
from .store import EMAILS

log = logging.getLogger(__name__)

ZURICH = ZoneInfo("Europe/Zurich")
CHECK_SECONDS = 30.0
FIRST_WINDOW = timedelta(hours=24)
"""A physician's first summary counts what came in the last 24 hours."""
KEPT_DAYS = 30
"""Events counted by a summary are forgotten this many days later."""


def scheduled_moment(now: datetime, hour: int) -> datetime:
    """The latest moment at or before `now` when the clocks of Zurich showed `hour` o'clock
    (on the night the clocks go forward, an hour that does not exist comes an hour later)."""
    local = now.astimezone(ZURICH)
    day = local.date()
    moment = _at(day, hour)
    if moment > now:
        moment = _at(day - timedelta(days=1), hour)
    return moment


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), ZURICH).astimezone(UTC).astimezone(ZURICH)


@dataclass
class DailySummaries:
    pool: asyncpg.Pool
    contacts: FindContact
    mail_domain: str
    hour: int
    outages: Outages
    wake: Callable[[], None] = lambda: None  # the email sender's: the new emails go at once
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    async def run_forever(self) -> None:
        """Send what is due every CHECK_SECONDS, for the life of the service; a failure (the
        database, identity away) is tried again at the next look."""
        away: str | None = None  # the dependency whose outage stopped the last look
        while True:
            try:
                await self.run_due(self.clock())
                if away is not None:
                    self.outages.working(away)
                    away = None
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                away = dependency_of(exc)
                if away is None:
                    log.exception("the daily summaries failed; tried again in %.0f s", CHECK_SECONDS)
                else:
                    self.outages.failing(away, exc)  # logged once for the whole outage
            await asyncio.sleep(CHECK_SECONDS)

    async def run_due(self, now: datetime) -> int:
        """The summaries of the latest scheduled moment at or before `now` not written yet: each
        physician's, once. Returns how many emails were written."""
        moment = scheduled_moment(now, self.hour)
        day = moment.date()
        async with self.pool.acquire() as conn:
            waiting = await conn.fetch(
                "SELECT i.account_id, min(i.physician) AS physician FROM digest_items i "
                "WHERE i.summary_day IS NULL AND i.recorded_at <= $1 AND NOT EXISTS "
                "(SELECT 1 FROM daily_summaries s WHERE s.account_id = i.account_id AND s.day = $2) "
                "GROUP BY i.account_id",
                moment,
                day,
            )
        written = 0
        for row in waiting:
            contact = await self.contacts(row["physician"])
            if await self._summary(row["account_id"], contact, moment, day):
                written += 1
        if written:
            self.wake()
            log.info("%d daily summaries to send (%s)", written, day.isoformat())
        async with self.pool.acquire() as conn:
            await conn.execute("DELETE FROM digest_items WHERE summary_day < $1", day - timedelta(days=KEPT_DAYS))
        return written

    async def _summary(self, account_id: str, contact: Contact | None, moment: datetime, day: date) -> bool:
        """One physician's summary of `day`, in one transaction: its key taken (or already taken:
        nothing), the events it counts marked, its email written if something is new and the
        physician still wants emails. Whether an email was written."""
        async with self.pool.acquire() as conn, conn.transaction():
            taken = await conn.fetchval(
                "INSERT INTO daily_summaries (account_id, day, as_of) VALUES ($1, $2, $3) "
                "ON CONFLICT (account_id, day) DO NOTHING RETURNING true",
                account_id,
                day,
                moment,
            )
            if not taken:
                return False  # another copy, or this one before a restart, wrote it
            previous = await conn.fetchval(
                "SELECT max(as_of) FROM daily_summaries WHERE account_id = $1 AND day < $2 AND email_id IS NOT NULL",
                account_id,
                day,
            )
            items = await conn.fetch(
                "UPDATE digest_items SET summary_day = $2 WHERE account_id = $1 AND summary_day IS NULL "
                "AND recorded_at <= $3 RETURNING kind, recorded_at",
                account_id,
                day,
                moment,
            )
            # Since the last summary sent; for a first one, the last 24 hours (older events are
            # marked all the same: no later summary counts them).
            counted = [
                item["kind"] for item in items if previous is not None or item["recorded_at"] > moment - FIRST_WINDOW
            ]
            documents, answers = counted.count("document"), counted.count("answer")
            if contact is None or contact.notify_new_documents == "none" or not (documents or answers):
                return False
            email_id = await EMAILS.insert(
                conn,
                kind=DAILY_SUMMARY,
                locale=contact.locale,
                address=contact.email,
                domain=self.mail_domain,
                account_id=account_id,
                fields={
                    "documents": documents,
                    "answers": answers,
                    "since": "last_summary" if previous is not None else "day",
                },
            )
            await conn.execute(
                "UPDATE daily_summaries SET documents = $3, answers = $4, email_id = $5 WHERE account_id = $1 AND day = $2",
                account_id,
                day,
                documents,
                answers,
                email_id,
            )
            return True
