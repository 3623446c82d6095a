"""Bus helpers: connecting, typed request/reply endpoints, typed calls."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import nats
from nats.aio.client import Client as NATS
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.micro.request import Request
from pydantic import BaseModel

from . import metrics
from .codec import MalformedMessage, Written, decode, encode
from .errors import DomainError, InternalError, InvalidRequest, ServiceUnavailable, Unauthenticated, error_from_code
from .outages import BUS, DATABASE, OUTAGES, dependency_of
from .settings import BusSettings
from .tokens import HEADER, Caller, InvalidToken, TokenVerifier

log = logging.getLogger(__name__)

Req = TypeVar("Req", bound=BaseModel)
Resp = TypeVar("Resp", bound=BaseModel)

HandlerTable = dict[str, tuple[Callable[..., Awaitable[Any]], type[BaseModel]]]
"""A service's request subjects, each with its handler and the model of its request."""

ERROR_CODE_HEADER = "Nats-Service-Error-Code"
ERROR_HEADER = "Nats-Service-Error"


def inbox_prefix(user: str) -> str:
    """Each process receives replies under its own prefix, so no one else may subscribe to them."""
    return f"_INBOX.{user}"


async def connect(settings: BusSettings, name: str) -> NATS:
    """Connect as this process's own NATS user (waiting while no server answers); reconnect forever.

    `NATS_URL` may list several servers, comma-separated (a cluster). Losing the connection and
    getting it back are logged once each, as an outage of the bus.
    """
    connection: list[NATS] = []

    async def on_error(exc: Exception) -> None:
        if connection and connection[0].is_connected:
            log.warning("nats: %s", exc)
        else:
            OUTAGES.failing(BUS, exc)  # reconnect attempts: logged once, with the outage

    async def on_disconnect() -> None:
        nc = connection[0] if connection else None
        if nc is not None and (nc.is_draining or nc.is_closed):
            return  # the process is stopping: not an outage
        OUTAGES.failing(BUS, "disconnected")

    async def on_reconnect() -> None:
        OUTAGES.working(BUS)
        url = connection[0].connected_url if connection else None
        log.info("nats: reconnected to %s", url.netloc if url else "a server")

    servers = [url.strip() for url in settings.url.split(",") if url.strip()]
    nc = await OUTAGES.retry(
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


async def _respond_error(request: Request, error: DomainError) -> None:
    metrics.REQUEST_ERRORS.labels(request.subject, error.code).inc()
    await request.respond_error(error.code, error.description)


def endpoint(
    handler: Callable[[Req], Awaitable[Resp]],
    request_model: type[Req],
) -> Callable[[Request], Awaitable[None]]:
    """Wrap a handler taking a typed request into a micro endpoint handler."""

    async def handle(request: Request) -> None:
        await _dispatch(request, request_model, lambda message: handler(message))

    return handle


def authenticated_endpoint(
    handler: Callable[[Req, Caller], Awaitable[Resp | Written[Resp]]],
    request_model: type[Req],
    verifier: TokenVerifier,
    refusal: type[DomainError] = Unauthenticated,
) -> Callable[[Request], Awaitable[None]]:
    """Like `endpoint`, but the caller is proven by the token in the message's header.

    `refusal` is what a missing or bad token gets: services whose resources must not be
    enumerable answer NotFound, exactly as for a resource that is not the caller's.
    """

    async def handle(request: Request) -> None:
        try:
            caller = verifier.verify((request.headers or {}).get(HEADER))
        except InvalidToken:
            await _respond_error(request, refusal())
            return
        await _dispatch(request, request_model, lambda message: handler(message, caller))

    return handle


async def _dispatch(
    request: Request, model: type[Req], run: Callable[[Req], Awaitable[BaseModel | Written[Any]]]
) -> None:
    started = time.perf_counter()
    try:
        await _answer(request, model, run)
    finally:
        metrics.REQUEST_SECONDS.labels(request.subject).observe(time.perf_counter() - started)


async def _answer(
    request: Request, model: type[Req], run: Callable[[Req], Awaitable[BaseModel | Written[Any]]]
) -> None:
    try:
        message = decode(model, request.data)
    except MalformedMessage as exc:
        await _respond_error(request, InvalidRequest(exc.reason))
        return
    try:
        result = await run(message)
    except DomainError as exc:
        await _respond_error(request, exc)
        return
    except Exception as exc:
        dependency = dependency_of(exc)
        if dependency is not None:
            # An outage: logged once for all the requests it fails, and the caller may try again.
            OUTAGES.failing(dependency, exc)
            if dependency != DATABASE:  # the database's own check ends that one (common/service.py)
                _marked_by_requests.add(dependency)
            await _respond_error(request, ServiceUnavailable())
            return
        # Never send an exception's text to a caller: it may hold data. Log it here, once.
        log.exception("unexpected error on %s", request.subject)
        await _respond_error(request, InternalError())
        return
    if _marked_by_requests:  # a request went through again: the outage that failed the others is over
        for dependency in _marked_by_requests:
            OUTAGES.working(dependency)
        _marked_by_requests.clear()
    await request.respond(encode(result))


_marked_by_requests: set[str] = set()
"""Outages that requests found (and that a request going through again ends)."""


async def call(
    nc: NATS,
    subject: str,
    message: BaseModel,
    response_model: type[Resp],
    *,
    token: str | None = None,
    timeout: float = 5.0,
) -> Resp:
    """Send a typed request and return the typed answer, or raise the service's domain error."""
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
        return decode(response_model, reply.data)
    except MalformedMessage as exc:
        log.error("malformed reply on %s: %s", subject, exc.reason)
        raise InternalError(f"malformed reply on {subject}") from None
