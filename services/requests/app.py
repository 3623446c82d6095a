"""The requests service's table of subjects and handlers."""

from __future__ import annotations

from contextlib import AsyncExitStack
from functools import partial

from common import metrics
from common.consumed import Route
from common.consumer import DurableConsumer
from common.contracts import hospital
from common.contracts import hospital_requests as contract
from common.service import Runtime
from common.streams import ensure_stream

from . import directory


async def setup(runtime: Runtime, stack: AsyncExitStack) -> None:
    """Consume the requests' part of DPI (the documents service takes the rest)."""
    replicas = runtime.settings.bus.stream_replicas
    await ensure_stream(runtime.js, hospital.STREAM_DPI, replicas, runtime.outages)
    deps = directory.Deps(outbox=runtime.outbox)
    handlers = {contract.SERVICES: partial(directory.service_received, deps=deps)}
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
