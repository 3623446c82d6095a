"""The requests service's table of subjects and handlers."""

from __future__ import annotations

from contextlib import AsyncExitStack
from functools import partial

from common import metrics
from common.bus import Handlers
from common.consumed import Route
from common.consumer import DurableConsumer
from common.contracts import hospital
from common.contracts import hospital_requests as contract
from common.contracts import requests as api
from common.contracts.request_attachments import ATTACHMENTS_BUCKET
from common.sealed.keys import MasterKeys
from common.sealed.objects import ensure_bucket
from common.service import Runtime
from common.settings import env_file
from common.streams import ensure_stream
from common.tokens import TokenVerifier

from . import attachments, directory, drafts, hospital_replies, inboxes, members

ATTACHMENTS_KEPT_DAYS = 30  # CONTRACT.md 1.1: the hospital reads them within that time


async def setup(runtime: Runtime, stack: AsyncExitStack) -> None:
    """Answer the gateway; consume the requests' part of DPI (the documents service takes the rest);
    own the REQUESTS stream of its events."""
    replicas = runtime.settings.bus.stream_replicas
    await ensure_stream(runtime.js, hospital.STREAM_DPI, replicas, runtime.outages)
    await ensure_stream(runtime.js, api.STREAM, replicas, runtime.outages)  # its events: answers arrived
    await ensure_bucket(
        runtime.js,
        ATTACHMENTS_BUCKET,
        "Files of the portal's requests and messages, for the hospital to read (CONTRACT.md 1.1)",
        ttl_days=ATTACHMENTS_KEPT_DAYS,
        replicas=replicas,
        outages=runtime.outages,
    )
    deps = directory.Deps(
        pool=runtime.pool, outbox=runtime.outbox, nc=runtime.nc, js=runtime.js, master_keys=MasterKeys.from_env()
    )
    table = Handlers(deps, runtime.outages, TokenVerifier.from_pem_file(env_file("PORTAL_TOKEN_PUBLIC_KEY")))
    table.add(api.LIST_SERVICES, directory.list_services)
    table.add(api.SAVE_SERVICE, directory.save_service)
    table.add(api.GET_MEMBERS, members.get_members)
    table.add(api.SET_MEMBERS, members.set_members)
    table.add(api.SAVE_DRAFT, drafts.save_draft)
    table.add(api.SUBMIT_REQUEST, drafts.submit)
    table.add(api.GET_REQUEST, drafts.get_request)
    table.add(api.LIST_MY_REQUESTS, drafts.my_requests)
    table.add(api.REPLY, drafts.reply)
    table.add(api.UPLOAD_PART, attachments.receive_part)
    table.add(api.READ_ATTACHMENT, attachments.read)
    table.add(api.COUNT_UNREAD_ANSWERS, drafts.unread_answers)
    table.add(api.MY_SERVICES, inboxes.my_services)
    table.add(api.INBOX, inboxes.inbox)
    table.add(api.OPEN_FOR_STAFF, inboxes.open_request)
    table.add(api.STAFF_STEP, inboxes.step)
    table.add(api.STAFF_ANSWER, inboxes.answer)
    await runtime.add_endpoints(table)

    handlers = {
        contract.SERVICES: partial(directory.service_received, deps=deps),
        contract.STATUS_FROM_HOSPITAL: partial(hospital_replies.status_received, deps=deps),
        contract.ANSWER: partial(hospital_replies.answer_received, deps=deps),
    }
    consumer = DurableConsumer(
        runtime.js,
        outages=runtime.outages,
        stream=hospital.STREAM_DPI,
        durable=directory.CONSUMER,
        filter_subject=list(contract.INCOMING),
        routes={subject: Route(model, handlers[subject]) for subject, model in contract.INCOMING.items()},
        on_reject=partial(directory.message_rejected, deps=deps),
    )
    metrics.REJECTED.labels(directory.CONSUMER, "invalid")  # the series from 0
    runtime.consume(consumer)
