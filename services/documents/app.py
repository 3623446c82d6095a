"""The documents service's table of subjects and handlers."""

from __future__ import annotations

from contextlib import AsyncExitStack
from functools import partial

from common import metrics
from common.bus import Handlers
from common.consumed import ELSEWHERE, Route
from common.consumer import DurableConsumer
from common.contracts import documents as api
from common.contracts import hospital, hospital_requests
from common.service import Runtime
from common.streams import ensure_stream
from common.tokens import TokenVerifier

from . import reading, receiving
from .config import DocumentsSettings
from .objects import ensure_bucket
from .physicians import PhysicianDirectory


def make_setup(settings: DocumentsSettings):  # type: ignore[no-untyped-def]
    """Bind the handlers to this process's resources once they are open."""

    async def setup(runtime: Runtime, stack: AsyncExitStack) -> None:
        replicas = settings.service.bus.stream_replicas
        await ensure_stream(runtime.js, hospital.STREAM_DPI, replicas, runtime.outages)
        await ensure_stream(runtime.js, hospital.STREAM_PORTAL, replicas, runtime.outages)
        await ensure_bucket(runtime.js, replicas, runtime.outages)

        readers = reading.Deps(pool=runtime.pool, outbox=runtime.outbox, master_keys=settings.master_keys)
        verifier = TokenVerifier.from_pem_file(settings.token_public_key)
        table = Handlers(readers, runtime.outages, verifier)
        table.add(api.LIST_DOCUMENTS, reading.list_documents)
        table.add(api.LIST_PATIENTS, reading.list_patients)
        table.add(api.GET_DOCUMENT, reading.get_document)
        table.add(api.READ_CONTENT, reading.get_content)
        table.add(api.MARK_DOCUMENT, reading.mark_document)
        table.add(api.MARK_ALL_READ, reading.mark_all_read)
        table.add(api.COUNT_UNREAD, reading.unread_counters)
        table.add(api.LIST_UNDELIVERED, reading.list_undelivered)
        table.add(api.NAME_DOCUMENTS, reading.name_documents)  # "Mon activité"
        table.add(api.FIND_PATIENT, reading.patient_of)  # the requests service's
        await runtime.add_endpoints(table)

        receivers = receiving.Deps(
            pool=runtime.pool,
            nc=runtime.nc,
            js=runtime.js,
            outbox=runtime.outbox,
            master_keys=settings.master_keys,
            physicians=PhysicianDirectory(runtime.nc),
            pending_days=settings.pending_designation_days,
        )
        handlers = {  # each message of the contract, handled in its episode's order
            hospital.DESIGNATIONS: (
                partial(receiving.designation_received, deps=receivers),
                lambda message: message.episode.id,
            ),
            hospital.DOCUMENTS: (
                partial(receiving.document_received, deps=receivers),
                lambda message: message.episode_id,
            ),
        }
        consumer = DurableConsumer(
            runtime.js,
            outages=runtime.outages,
            stream=hospital.STREAM_DPI,
            durable=receiving.CONSUMER,
            filter_subject="dpi.>",
            routes={
                **{subject: Route(model, *handlers[subject]) for subject, model in hospital.INCOMING.items()},
                # The requests service consumes its own part of DPI; an unknown dpi.* is rejected here.
                **{subject: ELSEWHERE for subject in hospital_requests.INCOMING},
            },
            on_reject=partial(receiving.message_rejected, deps=receivers),
            concurrency=settings.ingest_concurrency,
            handle_group=partial(receiving.episode_messages, deps=receivers),
        )
        metrics.REJECTED.labels(receiving.CONSUMER, "invalid_content")  # the series from 0
        runtime.consume(consumer, needs=("identity",))  # each delivery asks identity about the physician
        sweeps = runtime.outages.periodically(
            partial(receiving.sweep_pending, receivers), settings.pending_sweep_seconds, "sweeping pending documents"
        )
        runtime.spawn(sweeps, "pending sweep")

    return setup
