"""What identity says about a physician's account, briefly remembered to spare a request per document."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from nats.aio.client import Client as NATS

from common.bus import call
from common.contracts import identity

TTL_SECONDS = 5.0
"""An account deactivated or activated is seen by deliveries within this time."""


@dataclass
class PhysicianDirectory:
    nc: NATS
    _known: dict[str, tuple[float, identity.PhysicianStatus]] = field(default_factory=dict)

    async def status(self, physician: str) -> identity.PhysicianStatus:
        now = time.monotonic()
        cached = self._known.get(physician)
        if cached is not None and cached[0] > now:
            return cached[1]
        status = await call(self.nc, identity.LOOK_UP_PHYSICIAN, identity.PhysicianLookup(physician=physician))
        if len(self._known) > 50_000:
            self._known.clear()
        self._known[physician] = (now + TTL_SECONDS, status)
        return status
