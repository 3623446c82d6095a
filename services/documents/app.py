"""The documents service's table of subjects and handlers."""
from __future__ import annotations

from contextlib import AsyncExitStack
from functools import partial

from common.bus import authenticated_endpoint
from common.consumer import DurableConsumer, Route
from common.contracts import documents as api, hospital
from common.errors import NotFound
from common.service import Runtime
from common.streams import ensure_stream
from common.tokens import TokenVerifier

from . import handlers
from .config import DocumentsSettings


def make_setup(settings: DocumentsSettings):  # type: ignore[no-untyped-def]
    """Bind the handlers to this process's resources once they are open."""

    async def setup(runtime: Runtime, stack: AsyncExitStack) -> None:
        deps = handlers.Deps(pool=runtime.pool, nc=runtime.nc, outbox=runtime.outbox)
        verifier = TokenVerifier.from_pem_file(settings.token_public_key)
        replicas = settings.service.bus.stream_replicas
        await ensure_stream(runtime.js, hospital.STREAM_DPI, replicas)
        await ensure_stream(runtime.js, hospital.STREAM_PORTAL, replicas)

        api_routes = {
            api.LIST: (handlers.list_documents, api.ListDocuments),
            api.GET: (handlers.get_document, api.GetDocument),
            api.CONTENT: (handlers.get_content, api.GetContent),
        }
        await runtime.add_endpoints(
            "documents",
            {
                # A bad token gets the same answer as someone else's document: not found.
                subject.removeprefix("documents."): authenticated_endpoint(
                    partial(handler, deps=deps), model, verifier, refusal=NotFound
                )
                for subject, (handler, model) in api_routes.items()
            },
        )
        consumer = DurableConsumer(
            runtime.js,
            stream=hospital.STREAM_DPI,
            durable="documents",
            filter_subject="dpi.>",
            routes={
                hospital.DESIGNATIONS: Route(hospital.DesignationMessage, partial(handlers.designation_received, deps=deps)),
                hospital.DOCUMENTS: Route(hospital.DocumentMessage, partial(handlers.document_received, deps=deps)),
            },
            on_reject=partial(handlers.message_rejected, deps=deps),
        )
        runtime.spawn(consumer.run(), "dpi consumer")

    return setup
