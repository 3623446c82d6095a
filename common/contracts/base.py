"""What every contract module shares: the message base, common fields, and how a request/reply
subject is declared once with its request and reply types, and an event's subject with its
message type.

An endpoint is declared in the contract module of the service that answers it; the service binds
a handler to it (`common.bus.Handlers`) and callers send through it (`common.bus.call`), so a
handler or a call of the wrong type is a type error (mypy, in `make test`), not a surprise at run
time. Two kinds:

- `Endpoint`: no caller to prove (logging in, resolving a session, a service asking another).
  NATS permissions decide which process may send it.
- `SignedEndpoint`: on behalf of a person. The signed token the session resolved to travels in
  the message's header (never in its body); the service verifies it and its handler receives the
  `Caller`. A missing or bad token gets `refusal`: services whose resources must not be
  enumerable answer NotFound, exactly as for something that is not the caller's.

An `Event` is what a service announces to whoever listens at that moment (core NATS, at most
once, no reply): it publishes through `common.bus.announce` and listeners subscribe through
`common.bus.listen`, both typed by the declaration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from ..errors import DomainError, NotFound, Unauthenticated


class Message(BaseModel):
    """A message on the bus: unknown fields are refused, and nothing changes it once made."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Empty(Message):
    """A request with nothing to say, or a reply with nothing to return."""


Secret = Field(min_length=1, max_length=1024)
"""A secret value (a password, a session handle, a challenge): never logged, bounded in size."""

CLIENT_IP_MAX_LENGTH = 64
ClientIp = Annotated[str, Field(max_length=CLIENT_IP_MAX_LENGTH)]
"""The browser's address as the gateway saw it ("": unknown), for the login limits and the audit."""

Role = Literal["physician", "validator", "admin", "service_staff"]
StaffRole = Literal["validator", "admin", "service_staff"]

Req = TypeVar("Req", bound=BaseModel)
Rep = TypeVar("Rep", bound=BaseModel)
Said = TypeVar("Said", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Endpoint(Generic[Req, Rep]):
    """A request/reply subject that needs no caller's token."""

    subject: str
    request: type[Req]
    reply: type[Rep]


@dataclass(frozen=True, slots=True)
class SignedEndpoint(Generic[Req, Rep]):
    """A request/reply subject sent on a person's behalf: the token travels in the header."""

    subject: str
    request: type[Req]
    reply: type[Rep]
    refusal: type[DomainError] = Unauthenticated


def hidden(subject: str, request: type[Req], reply: type[Rep]) -> SignedEndpoint[Req, Rep]:
    """A signed endpoint that answers a missing or bad token as it answers someone else's thing
    (a document, an account, staff work to a physician): not found. Nothing can be enumerated."""
    return SignedEndpoint(subject, request, reply, refusal=NotFound)


@dataclass(frozen=True, slots=True)
class Event(Generic[Said]):
    """A subject on which one service announces what happened, and the message it says it with."""

    subject: str
    message: type[Said]
