"""The Object Store bucket `dpi-documents` the hospital puts contents over 512 KiB in (CONTRACT.md).

Documents creates it; its objects are read piece by piece by common/sealed/objects.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from nats.js import JetStreamContext

from common.outages import Outages
from common.sealed import objects

from .contents import RULES

BUCKET = "dpi-documents"


async def ensure_bucket(js: JetStreamContext, replicas: int, outages: Outages) -> None:
    """Create the bucket (objects expire after 30 days), waiting while JetStream is not available."""
    description = "Large document contents from the hospital (CONTRACT.md)"
    await objects.ensure_bucket(js, BUCKET, description, ttl_days=30, replicas=replicas, outages=outages)


def object_pieces(js: JetStreamContext, name: str) -> AsyncIterator[bytes]:
    """The content of object `name`, a few chunks at a time; InvalidContent if it is missing or too large."""
    return objects.object_pieces(js, BUCKET, name, RULES)
