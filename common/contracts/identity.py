"""Requests the identity service answers.

`identity.api.*` is for the gateway, on behalf of a browser; `identity.svc.*` is for other
services (NATS permissions decide who may call which).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .phones import MobileNumber
from .specialties import SPECIALTIES

LOGIN_PASSWORD = "identity.api.login.password"
LOGIN_CODE = "identity.api.login.code"
SESSION_RESOLVE = "identity.api.session.resolve"
SESSION_END = "identity.api.session.end"
DIRECTORY = "identity.api.directory.search"
PROFILE_GET = "identity.api.profile.get"
PROFILE_SAVE = "identity.api.profile.save"
SESSIONS_LIST = "identity.api.sessions.list"
SESSIONS_END_ONE = "identity.api.sessions.end_one"
PASSWORD_CHANGE_START = "identity.api.password.change.start"
PASSWORD_CHANGE_FINISH = "identity.api.password.change.finish"
MOBILE_CHANGE_START = "identity.api.mobile.change.start"
MOBILE_CHANGE_FINISH = "identity.api.mobile.change.finish"
MOBILE_CHANGE_VERIFY = "identity.api.mobile.change.verify"
HIN_BEGIN = "identity.api.hin.begin"
HIN_FINISH = "identity.api.hin.finish"

PHYSICIAN_LOOKUP = "identity.svc.physician.lookup"
CONTACT = "identity.svc.contact"

Secret = Field(min_length=1, max_length=1024)

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 1024

# Why identity refuses a new password (the description of its InvalidRequest); the gateway
# shows each in the page's language.
PASSWORD_TOO_SHORT = f"the password must have at least {PASSWORD_MIN_LENGTH} characters"
PASSWORD_TOO_LONG = f"the password must have at most {PASSWORD_MAX_LENGTH} characters"
PASSWORD_COMMON = "this password is among the most common ones"
PASSWORD_IS_A_NAME = "the password must not be the login name or the email address"
NO_MOBILE = "this account has no mobile number to send a code to"
HIN_ONLY = "this account logs in with HIN: it has no password here"


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PasswordLogin(_Message):
    """First factor. The answer never says whether the login name exists."""

    login: str = Field(min_length=1, max_length=200)
    password: str = Secret
    client_ip: str = Field(default="", max_length=64)


class CodeChallenge(_Message):
    """Opaque handle of a login attempt waiting for its code (kept in a short-lived cookie)."""

    challenge: str
    expires_at: datetime
    method: Literal["sms", "app", "app_enrolment"] = Field(
        default="sms", description="where the code comes from: an SMS, or the staff member's authenticator app"
    )
    enrolment_uri: str | None = Field(
        default=None, description="app_enrolment only: the otpauth:// URI to show once, as a QR code"
    )


class CodeLogin(_Message):
    challenge: str = Secret
    code: str = Field(min_length=1, max_length=20)
    client_ip: str = Field(default="", max_length=64)


class SessionOpened(_Message):
    session: str
    idle_timeout_seconds: int


class HinBegin(_Message):
    """A browser asks to log in with HIN. `browser` is a random secret the gateway keeps in that
    browser's cookie: the attempt can only be finished by the browser that started it."""

    browser: str = Field(min_length=32, max_length=128)
    client_ip: str = Field(default="", max_length=64)


class HinRedirect(_Message):
    """Where to send the browser: HIN's authorization endpoint, with state and PKCE challenge."""

    url: str
    expires_at: datetime


class HinReturn(_Message):
    """What HIN sent back to the redirect URI, and the browser's secret from its cookie."""

    browser: str = Field(min_length=1, max_length=128)
    state: str = Field(min_length=1, max_length=256)
    code: str = Field(default="", max_length=2048)
    error: str = Field(default="", max_length=200, description="HIN's error parameter (access_denied, ...)")
    client_ip: str = Field(default="", max_length=64)


HinRefusal = Literal["practice_identity", "deactivated", "mismatch", "failed", "cancelled"]


class HinOutcome(_Message):
    """A session, or why there is none (each reason has its own page)."""

    session: SessionOpened | None = None
    refusal: HinRefusal | None = None


class SessionRef(_Message):
    session: str = Secret
    touch: bool = Field(default=True, description="false for what the browser does by itself (live updates)")


NotifyMode = Literal["each", "digest", "none"]
LandingPage = Literal["documents", "patients"]


class Profile(_Message):
    """Mon profil (F6): a) notification mode, b) specialties, c) Mes patients' scope, d) Mes
    documents' scope, e) the page after login (f, the password, has its own page)."""

    notify_new_documents: NotifyMode
    specialties: list[str] = Field(max_length=10)
    patients_scope: Literal["all", "with_unread", "recent"]
    documents_scope: Literal["all", "unread", "last_12_months"]
    landing_page: LandingPage

    @field_validator("specialties")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [item for item in value if item not in SPECIALTIES]
        if unknown:
            raise ValueError("not one of the federal specialist titles")
        return sorted(set(value), key=SPECIALTIES.index)


class ProfileUpdate(Profile):
    session: str = Secret


class DirectorySearch(_Message):
    """Hospital staff looking for a physician (F7): any of the criteria, all must match."""

    session: str = Secret
    text: str | None = Field(
        default=None, min_length=2, max_length=100, description="name (case and accents ignored), GLN or RPPS"
    )
    specialty: str | None = Field(default=None, max_length=100)
    limit: int = Field(default=25, ge=1, le=100)


class DirectoryEntry(_Message):
    id: str
    family_name: str
    given_name: str
    specialties: list[str]
    number: str = Field(description="gln:<13 digits> or rpps:<11 digits>")
    email: str


class DirectoryPage(_Message):
    items: list[DirectoryEntry]
    more: bool = Field(description="more physicians match than `limit`")


class OpenSession(_Message):
    id: str = Field(description="opaque; only its own account can end it")
    created_at: datetime
    last_seen_at: datetime
    client_ip: str
    current: bool = Field(description="the session that asked")


class OpenSessions(_Message):
    items: list[OpenSession]


class EndOneSession(_Message):
    """From a session: end another open session of the same account."""

    session: str = Secret
    id: str = Field(min_length=1, max_length=64)


class PasswordChangeStart(_Message):
    """From a session: the current password and the new one; the answer's code goes by SMS."""

    session: str = Secret
    current_password: str = Secret
    new_password: str = Secret


class MobileChangeStart(_Message):
    """From a session: the current password and the new mobile number; the code goes to the
    current number, which must still be in the physician's hands."""

    session: str = Secret
    current_password: str = Secret
    new_mobile: MobileNumber


class ChangeConfirmation(_Message):
    """The SMS code that confirms a change started from the same session."""

    session: str = Secret
    challenge: str = Secret
    code: str = Field(min_length=1, max_length=20)


class AccountSummary(_Message):
    id: str
    display_name: str
    role: Literal["physician", "validator", "admin", "service_staff"]
    locale: str
    documents_scope: Literal["all", "unread", "last_12_months"] = "all"
    patients_scope: Literal["all", "with_unread", "recent"] = "all"
    must_change_password: bool = Field(default=False, description="a temporary password: the first thing to do")
    profile_to_confirm: bool = Field(default=False, description="a new physician confirms the profile next")
    landing_page: Literal["documents", "patients"] = "documents"
    hin_only: bool = Field(default=False, description="logs in with HIN only: no password or mobile number here")


class ResolvedSession(_Message):
    """The signed token to pass to services, and who the session belongs to."""

    token: str
    expires_at: int
    account: AccountSummary


class Empty(_Message):
    pass


class PhysicianLookup(_Message):
    physician: str = Field(min_length=5, max_length=40, description="gln:<13 digits> or rpps:<11 digits>")


class PhysicianStatus(_Message):
    known: bool
    activated: bool
    account_id: str | None = None


class ContactLookup(_Message):
    physician: str = Field(min_length=5, max_length=40)


class Contact(_Message):
    account_id: str
    email: str
    display_name: str
    locale: str
    notify_new_documents: Literal["each", "digest", "none"]
