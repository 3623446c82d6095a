"""The API's errors as `application/problem+json` (RFC 9457): never an HTML page, never an
exception's text."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

from aiohttp import web
from aiohttp.typedefs import Handler

from common.errors import DomainError, Unauthenticated

from ..http_errors import log_unexpected, status_of

PROBLEM_JSON = "application/problem+json"

INVALID_TOKEN = 'Bearer error="invalid_token"'
"""The challenge (RFC 6750) for a bearer token that was presented and refused."""

# What an HTTP error (aiohttp's 405, the token check's 401) says in its headers that the client needs.
KEPT_HEADERS = ("Allow", "WWW-Authenticate")


def problem(status: int, headers: Mapping[str, str] | None = None) -> web.Response:
    """A problem answer of `status`: `about:blank`, so its title is the status's own phrase."""
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    return web.json_response(body, status=status, headers=headers, content_type=PROBLEM_JSON)


@web.middleware
async def problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Translate each error of the API into its problem answer, once; nothing below this raises
    to the client.

    The services' outage is the pages' to log (they start and end it): the API's one endpoint asks
    no service yet.
    """
    try:
        return await handler(request)
    except Unauthenticated:
        return problem(401, {"WWW-Authenticate": INVALID_TOKEN})  # a service refused the caller's token
    except DomainError as error:
        return problem(status_of(error))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return problem(exc.status, {name: exc.headers[name] for name in KEPT_HEADERS if name in exc.headers})
    except Exception as exc:
        log_unexpected(request, exc)
        return problem(500)
