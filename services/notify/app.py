"""Notify's consumers and senders, wired to the running service."""

from __future__ import annotations

from contextlib import AsyncExitStack
from functools import partial

import aiohttp

from common.bus import Handlers
from common.consumed import Route
from common.consumer import DurableConsumer
from common.contracts import hospital, requests
from common.contracts import notifications as notify
from common.contracts.hospital import DocumentDelivered
from common.outbox import watch_outbox
from common.service import Runtime
from common.streams import ensure_stream
from common.tokens import TokenVerifier

from . import commands, handlers, log
from .channels import EmailChannel, SmsChannel
from .config import NotifySettings
from .ledger import Ledger
from .mail import Mailer
from .sending import Sender
from .sms import SmsProvider
from .summaries import DailySummaries

NAME = "notify"
DELIVERED_DURABLE = "notify-delivered"
ANSWERED_DURABLE = "notify-answered"
WAITING = "{table} WHERE state IN ('pending', 'preparing', 'sending')"


async def setup(settings: NotifySettings, runtime: Runtime, stack: AsyncExitStack) -> None:
    """Start sending what is due and the daily summaries, answer the notification log, consume the
    other services' commands, and the deliveries once identity answers."""
    session = aiohttp.ClientSession()
    stack.push_async_callback(session.close)
    mailer = Mailer(settings.smtp, settings.mail_from)
    emails = Ledger("outgoing_emails", idempotent_receiver=settings.smtp.idempotent)
    sms = Ledger("outgoing_sms", idempotent_receiver=settings.sms.idempotent)
    email_sender = Sender(
        runtime.pool,
        emails,
        EmailChannel(mailer, settings.public_url, settings.opener),
        runtime.outages,
        on_sent=log.audit_email_sent,  # every email sent is audited
    )
    sms_sender = Sender(
        runtime.pool, sms, SmsChannel(SmsProvider(settings.sms, session), settings.opener), runtime.outages
    )

    for sender, ledger, name in ((email_sender, emails, "email"), (sms_sender, sms, "sms")):
        runtime.spawn(sender.run(), f"{name} sender")
        runtime.stoppers.append(sender.stop)
        runtime.spawn(watch_outbox(runtime.pool, WAITING.format(table=ledger.table), name), f"{name} outbox metrics")

    deps = handlers.Deps(
        pool=runtime.pool,
        contacts=partial(handlers.find_contact, runtime.nc),
        sender=email_sender,
        outbox=runtime.outbox,
        mail_domain=mailer.domain,
    )
    summaries = DailySummaries(
        runtime.pool, deps.contacts, mailer.domain, settings.daily_summary_hour, runtime.outages, email_sender.wake
    )

    async def summarise() -> None:
        await runtime.wait_for("identity")  # each summary asks for its physician's contact
        await summaries.run_forever()

    runtime.spawn(summarise(), "daily summaries")
    table = Handlers(log.Deps(runtime.pool), runtime.outages, TokenVerifier.from_pem_file(settings.token_public_key))
    table.add(notify.MY_NOTIFICATIONS, log.my_notifications)
    table.add(notify.SEARCH_NOTIFICATIONS, log.search_notifications)
    await runtime.add_endpoints(table)

    await ensure_stream(runtime.js, notify.STREAM, runtime.settings.bus.stream_replicas, runtime.outages)
    asked = commands.Deps(runtime.pool, emails, sms, email_sender, sms_sender, mailer.domain)
    runtime.consume(
        DurableConsumer(
            runtime.js,
            outages=runtime.outages,
            stream=notify.STREAM,
            durable=commands.CONSUMER,
            filter_subject=notify.SUBJECTS,
            routes={
                notify.SEND_CODE: Route(notify.SendCode, partial(commands.code_asked, deps=asked)),
                notify.SEND_NOTICE: Route(notify.SendNotice, partial(commands.notice_asked, deps=asked)),
                notify.SEND_EMAIL_NOTICE: Route(
                    notify.SendEmailNotice, partial(commands.email_notice_asked, deps=asked)
                ),
                notify.SEND_TEMPORARY_PASSWORD: Route(
                    notify.SendTemporaryPassword, partial(commands.temporary_password_asked, deps=asked)
                ),
                notify.SEND_RECOVERY_LINK: Route(
                    notify.SendRecoveryLink, partial(commands.recovery_link_asked, deps=asked)
                ),
                notify.SEND_SUPPORT_MESSAGE: Route(
                    notify.SendSupportMessage, partial(commands.support_message_asked, deps=asked)
                ),
            },
            on_reject=partial(handlers.record_rejection, deps=deps),
            concurrency=16,
        ),
        needs=(),
    )

    consumer = DurableConsumer(
        runtime.js,
        outages=runtime.outages,
        stream=hospital.STREAM_PORTAL,
        durable=DELIVERED_DURABLE,
        filter_subject=hospital.DELIVERED,
        routes={hospital.DELIVERED: Route(DocumentDelivered, partial(handlers.announce_delivered_document, deps=deps))},
        on_reject=partial(handlers.record_rejection, deps=deps),
        handle_batch=partial(handlers.announce_delivered_documents, deps=deps),
        batch=256,
    )
    runtime.consume(consumer, needs=("identity",))  # every delivery needs the physician's contact

    answered = requests.ANSWER_ARRIVED.subject
    consumer = DurableConsumer(
        runtime.js,
        outages=runtime.outages,
        stream=requests.STREAM,  # the requests service creates it; the consumer waits for it
        durable=ANSWERED_DURABLE,
        filter_subject=answered,
        routes={answered: Route(requests.AnswerArrived, partial(handlers.announce_answer, deps=deps))},
        on_reject=partial(handlers.record_rejection, deps=deps),
    )
    runtime.consume(consumer, needs=("identity",))  # so does every answer
