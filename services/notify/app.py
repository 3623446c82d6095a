"""Notify's subjects and their handlers, wired to the running service."""

from __future__ import annotations

from contextlib import AsyncExitStack
from functools import partial

import aiohttp

from common import metrics
from common.bus import Handlers
from common.consumer import DurableConsumer, Route
from common.contracts import hospital, notify
from common.contracts.hospital import DocumentDelivered
from common.outbox import watch_outbox
from common.service import Runtime

from . import handlers
from .config import NotifySettings
from .mail import Mailer
from .sending import EmailSender
from .sms import SmsProvider

NAME = "notify"
DELIVERED_DURABLE = "notify-delivered"


async def setup(settings: NotifySettings, runtime: Runtime, stack: AsyncExitStack) -> None:
    """Register notify's endpoints, start sending what is due, and consume deliveries once identity answers."""
    session = aiohttp.ClientSession()
    stack.push_async_callback(session.close)
    sms = SmsProvider(settings.sms, session)
    mailer = Mailer(settings.smtp, settings.mail_from)

    table = Handlers(handlers.Senders(sms, mailer))
    table.add(notify.SEND_SMS, handlers.send_sms)
    table.add(notify.SEND_MAIL, handlers.send_mail)
    await runtime.add_endpoints(table)

    for channel in ("email", "sms"):  # every series from 0, so that the first failure shows
        for reason in ("unavailable", "refused", "uncertain"):
            metrics.NOTIFICATIONS_FAILED.labels(channel, reason)
    sender = EmailSender(runtime.pool, mailer, settings.public_url)
    runtime.spawn(sender.run(), "email sender")
    runtime.stoppers.append(sender.stop)
    runtime.spawn(watch_outbox(runtime.pool, WAITING_EMAILS, "email"), "email outbox metrics")

    deps = handlers.Deps(
        pool=runtime.pool,
        contacts=partial(handlers.find_contact, runtime.nc),
        sender=sender,
        outbox=runtime.outbox,
        mail_domain=mailer.domain,
    )
    consumer = DurableConsumer(
        runtime.js,
        stream=hospital.STREAM_PORTAL,
        durable=DELIVERED_DURABLE,
        filter_subject=hospital.DELIVERED,
        routes={hospital.DELIVERED: Route(DocumentDelivered, partial(handlers.announce_delivered_document, deps=deps))},
        on_reject=partial(handlers.record_rejection, deps=deps),
        handle_batch=partial(handlers.announce_delivered_documents, deps=deps),
        batch=256,
    )
    runtime.consume(consumer, needs=("identity",))  # every delivery needs the physician's contact


WAITING_EMAILS = "outgoing_emails WHERE state IN ('pending', 'sending')"
