"""Notify's subjects and their handlers, wired to the running service."""
from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from functools import partial

import aiohttp

from common.bus import endpoint
from common.consumer import DurableConsumer, Route
from common.contracts import hospital, notify
from common.contracts.hospital import DocumentDelivered
from common.contracts.notify import SendMail, SendSms
from common.service import Runtime

from . import handlers
from .config import NotifySettings
from .mail import Mailer
from .sms import SmsProvider

log = logging.getLogger(__name__)

NAME = "notify"
DELIVERED_DURABLE = "notify-delivered"


async def on_reject(subject: str, event_id: str | None, reason: str) -> None:
    """Our own stream: a bad message there is a bug to look at, not something to report to anyone."""
    log.error("set aside a message on %s (event %s): %s", subject, event_id or "unknown", reason)


async def setup(settings: NotifySettings, runtime: Runtime, stack: AsyncExitStack) -> None:
    """Register notify's endpoints and start its consumer."""
    session = aiohttp.ClientSession()
    stack.push_async_callback(session.close)
    sms = SmsProvider(settings.sms, session)
    mailer = Mailer(settings.smtp, settings.mail_from)

    endpoints = {
        notify.SEND_SMS: endpoint(partial(handlers.send_sms, provider=sms), SendSms),
        notify.SEND_MAIL: endpoint(partial(handlers.send_mail, mailer=mailer), SendMail),
    }
    await runtime.add_endpoints(endpoints)

    routes = {
        hospital.DELIVERED: Route(
            DocumentDelivered,
            partial(
                handlers.announce_delivered_document,
                pool=runtime.pool,
                contacts=partial(handlers.find_contact, runtime.nc),
                mailer=mailer,
                portal_url=settings.public_url,
            ),
        ),
    }
    consumer = DurableConsumer(
        runtime.js,
        stream=hospital.STREAM_PORTAL,
        durable=DELIVERED_DURABLE,
        filter_subject=hospital.DELIVERED,
        routes=routes,
        on_reject=on_reject,
        handle_batch=partial(
            handlers.announce_delivered_documents,
            pool=runtime.pool,
            contacts=partial(handlers.find_contact, runtime.nc),
            mailer=mailer,
            portal_url=settings.public_url,
        ),
        batch=256,
    )
    runtime.spawn(consumer.run(), "documents delivered consumer")
