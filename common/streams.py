"""The JetStream streams of the portal, defined once; each is created by the service that owns it."""

from __future__ import annotations

import logging

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from .contracts import hospital, notifications, requests
from .outages import Outages

log = logging.getLogger(__name__)

DAY = 24 * 3600

AUDIT_STREAM = "AUDIT"
AUDIT_SUBJECTS = "audit.record.>"


STREAMS: dict[str, tuple[str, RetentionPolicy, int]] = {
    # name: (subjects, retention, days a message is kept at most)
    hospital.STREAM_DPI: ("dpi.>", RetentionPolicy.LIMITS, 30),
    hospital.STREAM_PORTAL: ("portal.>", RetentionPolicy.LIMITS, 30),
    AUDIT_STREAM: (AUDIT_SUBJECTS, RetentionPolicy.LIMITS, 30),
    # The requests service's events for the portal's own processes (an answer arrived: notify's email).
    requests.STREAM: (requests.EVENTS, RetentionPolicy.LIMITS, 30),
    # Notify's commands hold sealed secrets: each is gone from the stream once notify took it.
    notifications.STREAM: (notifications.SUBJECTS, RetentionPolicy.WORK_QUEUE, 3),
}


def stream_config(name: str, replicas: int) -> StreamConfig:
    subjects, retention, days = STREAMS[name]
    return StreamConfig(
        name=name,
        subjects=[subjects],
        retention=retention,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        max_age=days * DAY,
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
