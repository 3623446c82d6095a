"""What the pages and the API alike make of an error: its HTTP status, and the log line of a bug."""

from __future__ import annotations

import logging
import traceback

from aiohttp import web

from common.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InternalError,
    InvalidRequest,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
)

log = logging.getLogger(__name__)

STATUS_OF_ERROR: dict[type[DomainError], int] = {
    InvalidRequest: 400,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooManyRequests: 429,
    InternalError: 500,
    ServiceUnavailable: 503,
}


def status_of(error: DomainError) -> int:
    """The HTTP status answering a service's error (a refusal not listed is a bad request)."""
    return STATUS_OF_ERROR.get(type(error), 400)


def log_unexpected(request: web.Request, exc: Exception) -> None:
    """Log a bug once, by the route's pattern, never the path or the exception's message: either
    may hold request data. The stack (file, line, function, code) is enough to find it."""
    route = request.match_info.route.resource
    pattern = route.canonical if route is not None else "?"
    stack = "".join(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
    log.error("unexpected %s on %s %s\n%s", type(exc).__name__, request.method, pattern, stack.rstrip())
