"""Bus helpers: connecting, answering declared endpoints (`Handlers`), calling them (`call`),
announcing declared events (`announce`) and listening to them (`listen`)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any, Generic, TypeVar, overload

import nats
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.micro.request import Request
from prometheus_client import Counter, Histogram
from pydantic import BaseModel

from . import metrics
from .codec import MalformedMessage, Written, decode, encode
from .contracts.base import Endpoint, Event, Rep, Req, Said, SignedEndpoint
from .errors import DomainError, InternalError, InvalidRequest, ServiceUnavailable, error_from_code
from .outages import BUS, DATABASE, Outages, dependency_of
from .settings import BusSettings
from .tokens import HEADER, Caller, InvalidToken, TokenVerifier

log = logging.getLogger(__name__)


ERROR_CODE_HEADER = "Nats-Service-Error-Code"
ERROR_HEADER = "Nats-Service-Error"


def inbox_prefix(user: str) -> str:
    """Each process receives replies under its own prefix, so no one else may subscribe to them."""
    return f"_INBOX.{user}"


async def connect(settings: BusSettings, name: str, outages: Outages) -> NATS:
    """Connect as this process's own NATS user (waiting while no server answers); reconnect forever.

    `NATS_URL` may list several servers, comma-separated (a cluster). Losing the connection and
    getting it back are logged once each, as an outage of the bus.
    """
    connection: list[NATS] = []

    async def on_error(exc: Exception) -> None:
        if connection and connection[0].is_connected:
            log.warning("nats: %s", exc)
        else:
            outages.failing(BUS, exc)  # reconnect attempts: logged once, with the outage

    async def on_disconnect() -> None:
        nc = connection[0] if connection else None
        if nc is not None and (nc.is_draining or nc.is_closed):
            return  # the process is stopping: not an outage
        outages.failing(BUS, "disconnected")

    async def on_reconnect() -> None:
        outages.working(BUS)
        url = connection[0].connected_url if connection else None
        log.info("nats: reconnected to %s", url.netloc if url else "a server")

    servers = [url.strip() for url in settings.url.split(",") if url.strip()]
    nc = await outages.retry(
        lambda: nats.connect(
            servers,
            user=settings.user,
            password=settings.password,
            name=name,
            inbox_prefix=inbox_prefix(settings.user),
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            connect_timeout=2,
            error_cb=on_error,
            disconnected_cb=on_disconnect,
            reconnected_cb=on_reconnect,
        ),
        longest_wait=2.0,
    )
    connection.append(nc)
    return nc


INBOX_PREFIX = "_INBOX."
"""Every party's replies come to its own inbox prefix, `_INBOX.<user>` (deploy/nats_accounts.py)."""


def asked_by_a_caller(request: Request) -> bool:
    """Whether a request waits for its answer in a caller's inbox. A message without one was not
    sent by a caller: a push consumer created by another party makes the server deliver a
    stream's messages on any subject, with `$JS.ACK.…` to answer (NATS does not check a push
    consumer's delivery subject against its creator's permissions). Such a message does nothing."""
    return (request._msg.reply or "").startswith(INBOX_PREFIX)


async def _respond_error(request: Request, error: DomainError) -> None:
    metrics.REQUEST_ERRORS.labels(request.subject, error.code).inc()
    await request.respond_error(error.code, error.description)


D = TypeVar("D")
MicroHandler = Callable[[Request], Awaitable[None]]


class Handlers(Generic[D]):
    """A service's request subjects, each declared endpoint bound to its handler.

    Every handler receives the request (already validated as the endpoint's type), the caller for
    a signed endpoint (proven by the token in the header), and the service's `deps`. A handler
    whose types do not match its endpoint's is a type error. `scope`, if given, is entered around
    each handler: what it does on leaving comes before the answer.
    """

    def __init__(
        self,
        deps: D,
        outages: Outages,
        verifier: TokenVerifier | None = None,
        scope: Callable[[], AbstractAsyncContextManager[object]] = nullcontext,
    ) -> None:
        self._deps = deps
        self._outages = outages
        self._verifier = verifier
        self._scope = scope
        self.endpoints: dict[str, MicroHandler] = {}
        self._outages_seen: set[str] = set()  # outages that requests found, ended by one going through

    @overload
    def add(self, endpoint: Endpoint[Req, Rep], handler: Callable[[Req, D], Awaitable[Rep | Written[Rep]]]) -> None: ...

    @overload
    def add(
        self, endpoint: SignedEndpoint[Req, Rep], handler: Callable[[Req, Caller, D], Awaitable[Rep | Written[Rep]]]
    ) -> None: ...

    def add(self, endpoint: Endpoint[Any, Any] | SignedEndpoint[Any, Any], handler: Callable[..., Any]) -> None:
        if endpoint.subject in self.endpoints:
            raise ValueError(f"{endpoint.subject} has a handler already")
        deps, model = self._deps, endpoint.request
        seconds = metrics.REQUEST_SECONDS.labels(endpoint.subject)  # the series, looked up once
        ignored = metrics.REQUESTS_IGNORED.labels(endpoint.subject)
        if isinstance(endpoint, SignedEndpoint):
            verifier, refusal = self._verifier, endpoint.refusal
            if verifier is None:
                raise ValueError(f"{endpoint.subject} is signed: its service needs a token verifier")

            async def handle_signed(request: Request) -> None:
                try:
                    caller = verifier.verify((request.headers or {}).get(HEADER))
                except InvalidToken:
                    await _respond_error(request, refusal())
                    return
                await self._dispatch(request, model, seconds, ignored, lambda message: handler(message, caller, deps))

            self.endpoints[endpoint.subject] = handle_signed
        else:

            async def handle(request: Request) -> None:
                await self._dispatch(request, model, seconds, ignored, lambda message: handler(message, deps))

            self.endpoints[endpoint.subject] = handle

    async def _dispatch(
        self,
        request: Request,
        model: type[BaseModel],
        seconds: Histogram,
        ignored: Counter,
        run: Callable[[Any], Awaitable[BaseModel | Written[Any]]],
    ) -> None:
        if not asked_by_a_caller(request):
            ignored.inc()
            log.warning("a message on %s with no caller's inbox to answer: ignored", request.subject)
            return
        started = time.perf_counter()
        try:
            await self._answer(request, model, run)
        finally:
            seconds.observe(time.perf_counter() - started)

    async def _answer(
        self, request: Request, model: type[BaseModel], run: Callable[[Any], Awaitable[BaseModel | Written[Any]]]
    ) -> None:
        try:
            message = decode(model, request.data)
        except MalformedMessage as exc:
            await _respond_error(request, InvalidRequest(exc.reason))
            return
        try:
            async with self._scope():
                result = await run(message)
        except DomainError as exc:
            await _respond_error(request, exc)
            return
        except Exception as exc:
            dependency = dependency_of(exc)
            if dependency is not None:
                # An outage: logged once for all the requests it fails, and the caller may try again.
                self._outages.failing(dependency, exc)
                if dependency != DATABASE:  # the database's own check ends that one (common/service.py)
                    self._outages_seen.add(dependency)
                await _respond_error(request, ServiceUnavailable())
                return
            # Never send an exception's text to a caller: it may hold data. Log it here, once.
            log.exception("unexpected error on %s", request.subject)
            await _respond_error(request, InternalError())
            return
        if self._outages_seen:  # a request went through again: the outage that failed the others is over
            for dependency in self._outages_seen:
                self._outages.working(dependency)
            self._outages_seen.clear()
        await request.respond(encode(result))


@overload
async def call(nc: NATS, endpoint: Endpoint[Req, Rep], message: Req, *, timeout: float = 5.0) -> Rep: ...


@overload
async def call(
    nc: NATS, endpoint: SignedEndpoint[Req, Rep], message: Req, *, token: str, timeout: float = 5.0
) -> Rep: ...


async def call(
    nc: NATS,
    endpoint: Endpoint[Any, Any] | SignedEndpoint[Any, Any],
    message: BaseModel,
    *,
    token: str | None = None,
    timeout: float = 5.0,
) -> Any:
    """Send a typed request and return the typed answer, or raise the service's domain error.
    A signed endpoint's call carries the caller's token in the header."""
    subject = endpoint.subject
    headers = {HEADER: f"Bearer {token}"} if token else None
    try:
        reply = await nc.request(subject, encode(message), timeout=timeout, headers=headers)
    except (NoRespondersError, NatsTimeout):
        raise ServiceUnavailable(f"no answer on {subject}") from None
    reply_headers: dict[str, Any] = reply.headers or {}
    code = reply_headers.get(ERROR_CODE_HEADER)
    if code:
        raise error_from_code(code, reply_headers.get(ERROR_HEADER, ""))
    try:
        return decode(endpoint.reply, reply.data)
    except MalformedMessage as exc:
        log.error("malformed reply on %s: %s", subject, exc.reason)
        raise InternalError(f"malformed reply on {subject}") from None


async def announce(nc: NATS, event: Event[Said], message: Said) -> None:
    """Say that something happened: whoever listens now hears it, at most once (core NATS)."""
    await nc.publish(event.subject, encode(message))


async def listen(nc: NATS, event: Event[Said], heard: Callable[[Said], None]) -> Subscription:
    """Call `heard` with each message announced on `event`; a malformed one is logged and skipped."""

    async def on_message(msg: Msg) -> None:
        try:
            message = decode(event.message, msg.data)
        except MalformedMessage as exc:
            log.warning("malformed event on %s: %s", event.subject, exc.reason)
            return
        heard(message)

    return await nc.subscribe(event.subject, cb=on_message)
