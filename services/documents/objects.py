"""Reading a content the hospital put in the Object Store bucket `dpi-documents`, piece by piece.

A pull consumer fetches a few chunks at a time, so memory stays small whatever the size.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, ObjectStoreConfig, StorageType
from nats.js.errors import BadRequestError, BucketNotFoundError, NotFoundError, ObjectNotFoundError

from common.outages import OUTAGES

from .contents import MAX_SIZE, InvalidContent

log = logging.getLogger(__name__)

BUCKET = "dpi-documents"
STREAM = f"OBJ_{BUCKET}"
FETCH_CHUNKS = 8
DAY = 24 * 3600


async def ensure_bucket(js: JetStreamContext, replicas: int) -> None:
    """Create the bucket the hospital puts large contents in (objects expire after 30 days),
    waiting while JetStream is not available."""
    await OUTAGES.retry(lambda: _ensure_bucket(js, replicas), longest_wait=2.0)


async def _ensure_bucket(js: JetStreamContext, replicas: int) -> None:
    try:
        await js.object_store(BUCKET)
    except BucketNotFoundError:
        try:
            await js.create_object_store(
                BUCKET,
                ObjectStoreConfig(
                    description="Large document contents from the hospital (CONTRACT.md)",
                    ttl=30 * DAY,
                    storage=StorageType.FILE,
                    replicas=replicas,
                ),
            )
        except BadRequestError:
            pass  # another copy created it meanwhile
    log.info("object store %s ready", BUCKET)


async def object_pieces(js: JetStreamContext, name: str) -> AsyncIterator[bytes]:
    """The content of object `name`, a few chunks at a time; InvalidContent if it is missing or too large."""
    try:
        info = await (await js.object_store(BUCKET)).get_info(name)
    except (ObjectNotFoundError, BucketNotFoundError, NotFoundError):
        raise InvalidContent("no such object in the Object Store") from None
    size = info.size or 0
    if size > MAX_SIZE:
        raise InvalidContent("content larger than 50 MiB")
    if size == 0:
        return
    subscription = await js.pull_subscribe(
        f"$O.{BUCKET}.C.{info.nuid}",
        stream=STREAM,
        config=ConsumerConfig(ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, inactive_threshold=60.0),
    )
    try:
        received = 0
        while received < size:
            for msg in await subscription.fetch(FETCH_CHUNKS, timeout=10.0):
                received += len(msg.data)
                yield msg.data
    finally:
        await subscription.unsubscribe()
