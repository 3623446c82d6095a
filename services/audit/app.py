"""Audit's subjects and their handlers, wired to the running service."""

from __future__ import annotations

from contextlib import AsyncExitStack
from functools import partial

from common.consumed import Route
from common.consumer import DurableConsumer
from common.contracts.audit import ReceivedAuditRecord, subject_for
from common.service import Runtime
from common.streams import AUDIT_STREAM, AUDIT_SUBJECTS, ensure_stream

from . import handlers

NAME = "audit"
DURABLE = "audit"

SOURCES = ("gateway", "identity", "documents", "requests", "notify")
"""The services allowed to record; NATS permissions let each publish only on its own subject."""


async def setup(runtime: Runtime, stack: AsyncExitStack) -> None:
    """Create the AUDIT stream and start consuming it."""
    await ensure_stream(runtime.js, AUDIT_STREAM, runtime.settings.bus.stream_replicas, runtime.outages)
    pool, relay = runtime.pool, runtime.outbox
    routes = {
        subject_for(source): Route(ReceivedAuditRecord, partial(handlers.record, source=source, pool=pool, relay=relay))
        for source in SOURCES
    }
    consumer = DurableConsumer(
        runtime.js,
        outages=runtime.outages,
        stream=AUDIT_STREAM,
        durable=DURABLE,
        filter_subject=AUDIT_SUBJECTS,
        routes=routes,
        on_reject=partial(handlers.record_rejection, pool=pool, relay=relay),
        handle_batch=partial(
            handlers.record_batch, sources={subject_for(s): s for s in SOURCES}, pool=pool, relay=relay
        ),
        batch=256,
    )
    runtime.consume(consumer)
