"""Domain errors shared by the services; each has the code the bus carries."""

from __future__ import annotations


class DomainError(Exception):
    """An expected refusal; its description is safe to show to the caller."""

    code = "400"
    description = "invalid request"

    def __init__(self, description: str | None = None) -> None:
        super().__init__(description or self.description)
        if description:
            self.description = description


class InvalidRequest(DomainError):
    code = "400"
    description = "invalid request"


class Unauthenticated(DomainError):
    code = "401"
    description = "not authenticated"


class Forbidden(DomainError):
    code = "403"
    description = "forbidden"


class NotFound(DomainError):
    code = "404"
    description = "not found"


class Conflict(DomainError):
    code = "409"
    description = "conflict"


class TooManyRequests(DomainError):
    code = "429"
    description = "too many requests"


class ServiceUnavailable(DomainError):
    """The service cannot answer now (an outage): asking again later may work."""

    code = "503"
    description = "service unavailable"


class InternalError(DomainError):
    """The service failed on this request (a bug, or a reply that is not what it should be):
    asking again will fail the same way, so it is not an outage."""

    code = "500"
    description = "internal error"


ERRORS_BY_CODE: dict[str, type[DomainError]] = {
    cls.code: cls
    for cls in (
        InvalidRequest,
        Unauthenticated,
        Forbidden,
        NotFound,
        Conflict,
        TooManyRequests,
        InternalError,
        ServiceUnavailable,
    )
}


def error_from_code(code: str, description: str) -> DomainError:
    """Rebuild the domain error a service answered, on the caller's side."""
    return ERRORS_BY_CODE.get(code, InternalError)(description)
