"""Audit's subjects and their handlers, wired to the running service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from functools import partial

from common.bus import Handlers
from common.consumed import Route
from common.consumer import DurableConsumer
from common.contracts import audit as api
from common.contracts.audit import ReceivedAuditRecord, subject_for
from common.service import Runtime
from common.streams import AUDIT_STREAM, AUDIT_SUBJECTS, ensure_stream
from common.tokens import TokenVerifier

from . import handlers, reading
from .config import AuditSettings
from .signing import CheckpointSigner
from .watch import ChainWatch

NAME = "audit"
DURABLE = "audit"

SOURCES = ("gateway", "identity", "documents", "requests", "notify")
"""The services allowed to record; NATS permissions let each publish only on its own subject."""


def make_setup(settings: AuditSettings) -> Callable[[Runtime, AsyncExitStack], Awaitable[None]]:
    async def setup(runtime: Runtime, stack: AsyncExitStack) -> None:
        """Create the AUDIT stream and consume it; answer the log's readers; watch the chain."""
        await ensure_stream(runtime.js, AUDIT_STREAM, runtime.settings.bus.stream_replicas, runtime.outages)
        pool, relay = runtime.pool, runtime.outbox
        signer = CheckpointSigner.from_pem_file(settings.checkpoint_key)
        deps = reading.Deps(pool=pool, key=signer.public)
        table = Handlers(deps, runtime.outages, TokenVerifier.from_pem_file(settings.token_public_key))
        table.add(api.SEARCH_RECORDS, reading.search)
        table.add(api.MY_ACTIVITY, reading.my_activity)
        table.add(api.GET_CHECKPOINT_KEY, reading.checkpoint_key)
        await runtime.add_endpoints(table)

        routes = {
            subject_for(source): Route(
                ReceivedAuditRecord, partial(handlers.record, source=source, pool=pool, relay=relay)
            )
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

        watch = ChainWatch(pool, relay, runtime.js, signer)
        outages = runtime.outages
        runtime.spawn(outages.periodically(watch.checkpoint, settings.checkpoint_seconds, "checkpoint"), "checkpoints")
        runtime.spawn(outages.periodically(watch.check, settings.verify_seconds, "chain check"), "chain checks")

    return setup
