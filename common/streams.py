"""The JetStream streams of the portal, defined once; each is created by the service that owns it."""

from __future__ import annotations

import logging

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from .contracts import hospital, notifications
from .outages import Outages

log = logging.getLogger(__name__)

DAY = 24 * 3600

AUDIT_STREAM = "AUDIT"
AUDIT_SUBJECTS = "audit.record.>"


def stream_config(name: str, replicas: int) -> StreamConfig:
    subjects = {
        hospital.STREAM_DPI: ["dpi.>"],
        hospital.STREAM_PORTAL: ["portal.>"],
        AUDIT_STREAM: [AUDIT_SUBJECTS],
        notifications.STREAM: [notifications.SUBJECTS],
    }[name]
    # Notify's commands hold sealed secrets: each is gone from the stream once notify took it.
    work_queue = name == notifications.STREAM
    return StreamConfig(
        name=name,
        subjects=subjects,
        retention=RetentionPolicy.WORK_QUEUE if work_queue else RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        max_age=(3 if work_queue else 30) * DAY,
        duplicate_window=2 * 3600,
        num_replicas=replicas,
    )


async def ensure_stream(js: JetStreamContext, name: str, replicas: int, outages: Outages) -> None:
    """Create the stream, or bring an existing one to the current definition (waiting while
    JetStream is not available, as in a cluster still electing its leader)."""
    config = stream_config(name, replicas)

    async def create_or_update() -> None:
        try:
            await js.add_stream(config)
        except BadRequestError:
            await js.update_stream(config)

    await outages.retry(create_or_update, longest_wait=2.0)
    log.info("stream %s ready", name)
