"""The requests part of the hospital contract (CONTRACT.md version 1.1): the directory of the
hospital's services, requests and their threads, both ways.

The portal's requests service consumes `dpi.services` and `dpi.requests.*` and publishes
`portal.requests.*`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from .hospital import ContractMessage, NonEmpty

SERVICES = "dpi.services"

RequestKind = Literal["consultation", "tumor_board", "message"]
ServiceDomain = Literal["adults", "paediatrics", "both"]

ServiceCode = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
"""A service's or a board's code: short, printable, no spaces (it names the service in URLs and logs)."""


class Board(ContractMessage):
    """A tumor board a service runs."""

    code: str = ServiceCode
    name: str = NonEmpty


class Service(ContractMessage):
    code: str = ServiceCode
    name: str = NonEmpty
    domain: ServiceDomain
    accepts: list[RequestKind] = Field(max_length=3)
    boards: list[Board] = Field(default_factory=list, max_length=50)
    active: bool


class ServiceMessage(ContractMessage):
    """`dpi.services`: a service that receives requests, upserted by `code`; `active: false` hides
    it from new requests (existing threads stay)."""

    event_id: str = NonEmpty
    service: Service
    recorded_at: AwareDatetime


INCOMING: dict[str, type[ContractMessage]] = {SERVICES: ServiceMessage}
"""Every request-related message the hospital publishes, by subject (the requests service consumes
each; the documents service leaves them to it)."""
