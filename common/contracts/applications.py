"""Secure applications (F4): the catalogue, enrolments, and opening one with a signed assertion.

Identity owns the catalogue and who may open what; it checks the caller from the session itself.
Opening an application answers a short-lived assertion (a JWT signed with EdDSA, 60 s, one
`jti`, audience = the application's identifier) that the browser posts to the application; the
application verifies it with the portal's public keys (`/.well-known/jwks.json`).
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator
from yarl import URL

from .base import Empty, Endpoint, Message, SignedEndpoint, hidden

ASSERTION_SECONDS = 60
SLUG_TAKEN = "another application already has this identifier"

AppId = Field(min_length=1, max_length=64)
Access = Literal["open", "enrol", "requested", "refused"]
"""A physician's access: can open it; may ask to enrol; asked, waiting; refused (may ask again)."""

_SLUG = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")  # IDNA-encoded names
LOOPBACK = ("127.0.0.1", "localhost", "::1")
HTTPS_ONLY = "an https:// address (http:// only on this machine, and only in development)"


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class ApplicationFields(Message):
    """What an administrator says of an application."""

    slug: str = Field(description="its identifier: the assertion's audience (lower-case letters, digits, dashes)")
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=1000)
    url: str = Field(max_length=500, description="where the browser posts the assertion")
    needs_enrolment: bool = False
    active: bool = True
    asked_at_registration: bool = Field(
        default=False, description="the registration form's screening box asks to enrol in it (needs_enrolment too)"
    )

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError("2 to 40 lower-case letters, digits or dashes, starting with a letter")
        return value

    @field_validator("name", "description")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        return value.strip()

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        url = URL(value.strip())
        host = url.raw_host or ""
        if not (_HOST.match(host) or _is_ip(host)) or url.user or url.fragment or url.scheme not in ("https", "http"):
            raise ValueError("an https:// address")
        if url.scheme == "http" and host not in LOOPBACK:
            raise ValueError(HTTPS_ONLY)
        return str(url)


class Application(ApplicationFields):
    id: str


class CatalogueEntry(Application):
    access: Access


class Catalogue(Message):
    applications: list[CatalogueEntry]


class ApplicationRef(Message):
    id: str = AppId


class Opening(Message):
    """Where to post the assertion, and the assertion."""

    name: str
    url: str
    assertion: str
    expires_at: datetime


class ApplicationSave(ApplicationFields):
    """An administrator creates (no id) or changes an application."""

    id: str | None = Field(default=None, max_length=64)


class Enrolment(Message):
    application_id: str
    application_name: str
    account_id: str
    family_name: str
    given_name: str
    number: str | None = Field(description="gln:<13 digits> or rpps:<11 digits>")
    state: Literal["requested", "granted", "refused"]
    requested_at: datetime
    decided_at: datetime | None = None
    decided_by_name: str | None = None


class AdminCatalogue(Message):
    applications: list[Application]
    enrolments: list[Enrolment] = Field(description="waiting ones first, then the latest decisions")


class Decision(Message):
    application_id: str = AppId
    account_id: str = AppId
    grant: bool


class PublicKeys(Message):
    """The JSON Web Key Set that verifies the assertions."""

    keys: list[dict[str, Any]]


# A physician's (the token in the header).
LIST_CATALOGUE = SignedEndpoint("identity.api.applications.catalogue", Empty, Catalogue)
ENROL = SignedEndpoint("identity.api.applications.enrol", ApplicationRef, CatalogueEntry)
OPEN_APPLICATION = SignedEndpoint("identity.api.applications.open", ApplicationRef, Opening)
# Administrators'.
LIST_FOR_ADMIN = hidden("identity.api.applications.admin.list", Empty, AdminCatalogue)
SAVE_APPLICATION = hidden("identity.api.applications.admin.save", ApplicationSave, Application)
DECIDE_ENROLMENT = hidden("identity.api.applications.admin.decide", Decision, Enrolment)
# Anyone's: the keys that verify the assertions.
GET_PUBLIC_KEYS = Endpoint("identity.api.applications.keys", Empty, PublicKeys)
