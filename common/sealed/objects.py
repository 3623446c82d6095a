"""Contents in a NATS Object Store bucket, read piece by piece for the sealed-storage pipeline.

The hospital puts large contents (documents, and attachments to requests) in `dpi-documents`;
the portal puts its large attachments in a bucket of its own. A pull consumer fetches a few
chunks at a time, so memory stays small whatever the size.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, ObjectStoreConfig, StorageType
from nats.js.errors import BadRequestError, BucketNotFoundError, NotFoundError, ObjectNotFoundError

from common.outages import Outages

from .checks import ContentRules, InvalidContent

log = logging.getLogger(__name__)

FETCH_CHUNKS = 8
DAY = 24 * 3600


async def ensure_bucket(
    js: JetStreamContext, bucket: str, description: str, ttl_days: int, replicas: int, outages: Outages
) -> None:
    """Create the bucket unless it exists (objects expire after `ttl_days`), waiting while JetStream
    is not available."""
    await outages.retry(lambda: _ensure_bucket(js, bucket, description, ttl_days, replicas), longest_wait=2.0)


async def _ensure_bucket(js: JetStreamContext, bucket: str, description: str, ttl_days: int, replicas: int) -> None:
    try:
        await js.object_store(bucket)
    except BucketNotFoundError:
        try:
            await js.create_object_store(
                bucket,
                ObjectStoreConfig(
                    description=description, ttl=ttl_days * DAY, storage=StorageType.FILE, replicas=replicas
                ),
            )
        except BadRequestError:
            pass  # another copy created it meanwhile
    log.info("object store %s ready", bucket)


async def object_pieces(js: JetStreamContext, bucket: str, name: str, rules: ContentRules) -> AsyncIterator[bytes]:
    """The content of object `name`, a few chunks at a time; InvalidContent if it is missing, or
    larger than the owner accepts (refused before reading it)."""
    try:
        info = await (await js.object_store(bucket)).get_info(name)
    except (ObjectNotFoundError, BucketNotFoundError, NotFoundError):
        raise InvalidContent("no such object in the Object Store") from None
    size = info.size or 0
    rules.check_size(size)
    if size == 0:
        return
    subscription = await js.pull_subscribe(
        f"$O.{bucket}.C.{info.nuid}",
        stream=f"OBJ_{bucket}",
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
