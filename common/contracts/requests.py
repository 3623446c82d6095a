"""The requests service's request/reply subjects (the gateway asks them on a person's behalf).

So far the directory of the hospital's services that receive requests; requests, drafts, threads
and inboxes come with the rest of issue 13.
"""

from __future__ import annotations

import uuid

from pydantic import Field, field_validator

from .base import Message, SignedEndpoint
from .hospital_requests import RequestKind, Service, ServiceDomain


class BoardSummary(Message):
    code: str
    name: str


class ServiceSummary(Message):
    code: str
    name: str
    domain: ServiceDomain
    accepts: list[RequestKind]
    boards: list[BoardSummary] = Field(default_factory=list)
    active: bool


class ListServices(Message):
    include_inactive: bool = Field(default=False, description="administrators only; ignored for anyone else")


class ServiceList(Message):
    services: list[ServiceSummary]


class ServiceSave(Service):
    """An administrator's version of a service (the contract's own checks: codes, lengths, no
    control characters); it replaces the kept one, whoever wrote that."""


class ServiceRef(Message):
    code: str = Field(min_length=1, max_length=64)


class ServiceMembers(Message):
    """The staff accounts that work a service's inbox (identity's account ids)."""

    code: str = Field(min_length=1, max_length=64)
    account_ids: list[str] = Field(default_factory=list, max_length=500)

    @field_validator("account_ids")
    @classmethod
    def _account_ids(cls, ids: list[str]) -> list[str]:
        return sorted({str(uuid.UUID(value)) for value in ids})  # ValueError: not an account id


LIST_SERVICES = SignedEndpoint("requests.api.services.list", ListServices, ServiceList)
SAVE_SERVICE = SignedEndpoint("requests.api.services.save", ServiceSave, ServiceSummary)
GET_MEMBERS = SignedEndpoint("requests.api.services.members.get", ServiceRef, ServiceMembers)
SET_MEMBERS = SignedEndpoint("requests.api.services.members.set", ServiceMembers, ServiceMembers)
