"""Bus helpers: connecting, typed request/reply endpoints, typed calls."""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, TypeVar

import nats
from nats.aio.client import Client as NATS
from nats.errors import NoRespondersError, TimeoutError as NatsTimeout
from nats.micro.request import Request
from pydantic import BaseModel

from .codec import MalformedMessage, Written, decode, encode
from .errors import DomainError, InvalidRequest, ServiceUnavailable, Unauthenticated, error_from_code
from .settings import BusSettings
from .tokens import HEADER, Caller, InvalidToken, TokenVerifier

log = logging.getLogger(__name__)

Req = TypeVar("Req", bound=BaseModel)
Resp = TypeVar("Resp", bound=BaseModel)

ERROR_CODE_HEADER = "Nats-Service-Error-Code"
ERROR_HEADER = "Nats-Service-Error"


def inbox_prefix(user: str) -> str:
    """Each process receives replies under its own prefix, so no one else may subscribe to them."""
    return f"_INBOX.{user}"


async def connect(settings: BusSettings, name: str) -> NATS:
    """Connect as this process's own NATS user; reconnect forever."""

    async def on_error(exc: Exception) -> None:
        log.warning("nats: %s", exc)

    return await nats.connect(
        settings.url,
        user=settings.user,
        password=settings.password,
        name=name,
        inbox_prefix=inbox_prefix(settings.user),
        max_reconnect_attempts=-1,
        error_cb=on_error,
    )


async def _respond_error(request: Request, error: DomainError) -> None:
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
    except Exception:
        # Never send an exception's text to a caller: it may hold data. Log it here, once.
        log.exception("unexpected error on %s", request.subject)
        await request.respond_error("500", "internal error")
        return
    await request.respond(encode(result))


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
        raise ServiceUnavailable(f"malformed reply on {subject}") from None
