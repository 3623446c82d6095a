"""Requests the identity service answers.

`identity.api.*` is for the gateway, on behalf of a browser; `identity.svc.*` is for other
services (NATS permissions decide who may call which); `identity.events.*` is what identity
announces to the gateways.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, cast, get_args

from pydantic import Field, field_validator

from .base import ClientIp, Empty, Endpoint, Event, Message, Role, Secret, SignedEndpoint, hidden
from .documents import DocumentsScope, PatientsScope
from .phones import MobileNumber
from .specialties import SPECIALTIES

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


DEVICE_TOKEN_MAX_LENGTH = 100
DeviceToken = Annotated[str, Field(max_length=DEVICE_TOKEN_MAX_LENGTH)]
"""What a browser that logged in before holds ("": nothing): its own count of failures, and no lock."""


class PasswordLogin(Message):
    """First factor. The answer never says whether the login name exists."""

    login: str = Field(min_length=1, max_length=200)
    password: str = Secret
    client_ip: ClientIp = ""
    device: DeviceToken = ""


class CodeChallenge(Message):
    """Opaque handle of a login attempt waiting for its code (kept in a short-lived cookie)."""

    challenge: str
    expires_at: datetime
    method: Literal["sms", "app", "app_enrolment"] = Field(
        default="sms", description="where the code comes from: an SMS, or the staff member's authenticator app"
    )
    enrolment_uri: str | None = Field(
        default=None, description="app_enrolment only: the otpauth:// URI to show once, as a QR code"
    )


class SeenDevice(Message):
    """The browser and system a session was opened from, as the gateway read them from its
    User-Agent ("Chrome 131", "Mac OS X"): what the security page shows, not the raw string."""

    browser: str = Field(default="", max_length=60)
    system: str = Field(default="", max_length=60)


class LoginAttempt(Message):
    """A login attempt waiting for its SMS code, by its handle (the browser's cookie)."""

    challenge: str = Secret
    client_ip: ClientIp = ""


class CodeSent(Message):
    """What the code's page says of the SMS sent: to which number (masked), and when another
    code may be asked for (None: now)."""

    mobile_hint: str = Field(max_length=40, description='the number masked, e.g. "+41 79 ••• •• 67"')
    resend_at: datetime | None = None


class CodeLogin(Message):
    challenge: str = Secret
    code: str = Field(min_length=1, max_length=20)
    client_ip: ClientIp = ""
    device: DeviceToken = ""
    seen: SeenDevice = SeenDevice()


class SessionOpened(Message):
    session: str
    idle_timeout_seconds: int
    device: str = Field(default="", description="a device token for this browser, after a password login")
    previous_login_at: datetime | None = Field(
        default=None, description="when the account's previous session opened (None: the first login)"
    )


class UnlockAsk(Message):
    """Someone asks to unlock a login blocked by failed attempts. The answer never says whether
    the name exists, is blocked, or whether a code went to its mobile."""

    login: str = Field(min_length=1, max_length=200)
    client_ip: ClientIp = ""


class UnlockCode(Message):
    challenge: str = Secret
    code: str = Field(min_length=1, max_length=20)
    client_ip: ClientIp = ""


Language = Literal["fr", "de", "it", "en"]
"""An account's language: its portal pages', emails' and SMS' (notify's texts)."""


def account_language(locale: str | None) -> Language:
    """One of the accounts' languages for a locale (`de-CH` -> `de`); French for any other."""
    language = (locale or "").replace("_", "-").split("-", 1)[0].lower()
    return cast(Language, language) if language in get_args(Language) else "fr"


class HinBegin(Message):
    """A browser asks to log in with HIN. `browser` is a random secret the gateway keeps in that
    browser's cookie: the attempt can only be finished by the browser that started it."""

    browser: str = Field(min_length=32, max_length=128)
    client_ip: ClientIp = ""


class HinRedirect(Message):
    """Where to send the browser: HIN's authorization endpoint, with state and PKCE challenge."""

    url: str
    expires_at: datetime


class HinReturn(Message):
    """What HIN sent back to the redirect URI, and the browser's secret from its cookie."""

    browser: str = Field(min_length=1, max_length=128)
    state: str = Field(min_length=1, max_length=256)
    code: str = Field(default="", max_length=2048)
    error: str = Field(default="", max_length=200, description="HIN's error parameter (access_denied, ...)")
    client_ip: ClientIp = ""
    locale: Language = Field(default="fr", description="the browser's page language: a new account's, at first")
    seen: SeenDevice = SeenDevice()


HinRefusal = Literal["practice_identity", "deactivated", "mismatch", "failed", "cancelled"]


class HinOutcome(Message):
    """A session, or why there is none (each reason has its own page)."""

    session: SessionOpened | None = None
    refusal: HinRefusal | None = None


SESSION_IDLE_SECONDS = 30 * 60
"""A session's idle timeout when PORTAL_SESSION_IDLE_SECONDS does not say (identity enforces it,
the login page tells it)."""

SMS_CODE_TTL_SECONDS = 5 * 60
"""How long an SMS code is valid when PORTAL_SMS_CODE_TTL_SECONDS does not say (the code's page tells it)."""

SESSION_IDLE = "session idle"
SESSION_CLOSED = "session closed"
"""Why RESOLVE_SESSION refuses a session that existed (the description of its Unauthenticated):
left idle past the timeout, or ended otherwise (a logout elsewhere, the 12 hours, an
administrator). Only the browser holding the session's secret can ask: nothing about an account
is told to anyone else. A handle that names no session is refused as "no such session"."""


class SessionRef(Message):
    """A session's handle, from the browser's cookie: only the calls that resolve or end a session take it."""

    session: str = Secret
    touch: bool = Field(default=True, description="false for what the browser does by itself (live updates)")


NotifyMode = Literal["each", "digest", "none"]
LandingPage = Literal["documents", "patients"]


class Profile(Message):
    """Mon profil (F6): a) notification mode, b) specialties, c) Mes patients' scope, d) Mes
    documents' scope, e) the page after login (f, the password, has its own page), g) the account's
    language: its pages', emails' and SMS'."""

    notify_new_documents: NotifyMode
    specialties: list[str] = Field(max_length=10)
    patients_scope: PatientsScope
    documents_scope: DocumentsScope
    landing_page: LandingPage
    locale: Language | None = Field(default=None, description="saving: None keeps the account's language")

    @field_validator("specialties")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [item for item in value if item not in SPECIALTIES]
        if unknown:
            raise ValueError("not one of the federal specialist titles")
        return sorted(set(value), key=SPECIALTIES.index)


class DirectorySearch(Message):
    """Hospital staff looking for a physician (F7): any of the criteria, all must match."""

    text: str | None = Field(
        default=None, min_length=2, max_length=100, description="name (case and accents ignored), GLN or RPPS"
    )
    specialty: str | None = Field(default=None, max_length=100)
    limit: int = Field(default=25, ge=1, le=100)


class DirectoryEntry(Message):
    id: str
    family_name: str
    given_name: str
    specialties: list[str]
    number: str = Field(description="gln:<13 digits> or rpps:<11 digits>")
    email: str


class DirectoryPage(Message):
    items: list[DirectoryEntry]
    more: bool = Field(description="more physicians match than `limit`")


class OpenSession(Message):
    id: str = Field(description="opaque; only its own account can end it")
    created_at: datetime
    last_seen_at: datetime
    client_ip: str
    current: bool = Field(description="the session that asked")
    login_method: Literal["", "sms", "app", "hin"] = Field(default="", description="'': opened before it was kept")
    browser: str = ""
    system: str = ""


class OpenSessions(Message):
    items: list[OpenSession]


class OtherSession(Message):
    """Another open session of the caller's account."""

    id: str = Field(min_length=1, max_length=64)


class PasswordChangeStart(Message):
    """From a session: the current password and the new one; the answer's code goes by SMS."""

    current_password: str = Secret
    new_password: str = Secret


class MobileChangeStart(Message):
    """From a session: the current password and the new mobile number; the code goes to the
    current number, which must still be in the physician's hands."""

    current_password: str = Secret
    new_mobile: MobileNumber


class ChangeConfirmation(Message):
    """The SMS code that confirms a change started from the same session."""

    challenge: str = Secret
    code: str = Field(min_length=1, max_length=20)


class AccountSummary(Message):
    id: str
    display_name: str
    role: Role
    locale: str
    documents_scope: DocumentsScope = "all"
    patients_scope: PatientsScope = "all"
    must_change_password: bool = Field(default=False, description="a temporary password: the first thing to do")
    profile_to_confirm: bool = Field(default=False, description="a new physician confirms the profile next")
    landing_page: LandingPage = "documents"
    hin_only: bool = Field(default=False, description="logs in with HIN only: no password or mobile number here")


class ResolvedSession(Message):
    """The signed token to pass to services, and who the session belongs to."""

    session_id: str = Field(
        default="", description="the session's opaque id (not its handle): what SESSIONS_ENDED names"
    )
    token: str
    expires_at: int
    account: AccountSummary


class PhysicianLookup(Message):
    physician: str = Field(min_length=5, max_length=40, description="gln:<13 digits> or rpps:<11 digits>")


class PhysicianStatus(Message):
    known: bool
    activated: bool
    account_id: str | None = None


class ContactLookup(Message):
    physician: str = Field(min_length=5, max_length=40)


class Contact(Message):
    account_id: str
    email: str
    display_name: str
    locale: str
    notify_new_documents: NotifyMode
    family_name: str = ""
    given_name: str = ""


SESSIONS_PER_EVENT = 500


class SessionsEnded(Message):
    """Sessions of one account that just ended (a logout, one ended from another session, all of
    them by an administrator or a new password...), announced once their end is committed."""

    account: str = Field(min_length=1, max_length=64)
    sessions: list[str] = Field(min_length=1, max_length=SESSIONS_PER_EVENT)


# From the gateway, on behalf of a browser: logging in and the session itself (the handle travels
# in the body only here, where a session is created, resolved or ended).
LOG_IN_WITH_PASSWORD = Endpoint("identity.api.login.password", PasswordLogin, CodeChallenge)
LOG_IN_WITH_CODE = Endpoint("identity.api.login.code", CodeLogin, SessionOpened)
ASK_UNLOCK = Endpoint("identity.api.unlock.ask", UnlockAsk, CodeChallenge)
UNLOCK_WITH_CODE = Endpoint("identity.api.unlock.code", UnlockCode, Empty)
BEGIN_HIN_LOGIN = Endpoint("identity.api.hin.begin", HinBegin, HinRedirect)
FINISH_HIN_LOGIN = Endpoint("identity.api.hin.finish", HinReturn, HinOutcome)
LOGIN_CODE_SENT = Endpoint("identity.api.login.code_sent", LoginAttempt, CodeSent)
RESEND_LOGIN_CODE = Endpoint("identity.api.login.resend", LoginAttempt, CodeChallenge)
RESOLVE_SESSION = Endpoint("identity.api.session.resolve", SessionRef, ResolvedSession)
END_SESSION = Endpoint("identity.api.session.end", SessionRef, Empty)

# From a session (the token in the header).
GET_PROFILE = SignedEndpoint("identity.api.profile.get", Empty, Profile)
SAVE_PROFILE = SignedEndpoint("identity.api.profile.save", Profile, Profile)
END_OTHER_SESSIONS = SignedEndpoint("identity.api.sessions.end_others", Empty, Empty)
LIST_SESSIONS = SignedEndpoint("identity.api.sessions.list", Empty, OpenSessions)
END_OTHER_SESSION = SignedEndpoint("identity.api.sessions.end_one", OtherSession, Empty)
START_PASSWORD_CHANGE = SignedEndpoint("identity.api.password.change.start", PasswordChangeStart, CodeChallenge)
FINISH_PASSWORD_CHANGE = SignedEndpoint("identity.api.password.change.finish", ChangeConfirmation, Empty)
START_MOBILE_CHANGE = SignedEndpoint("identity.api.mobile.change.start", MobileChangeStart, CodeChallenge)
CONFIRM_MOBILE_CHANGE = SignedEndpoint("identity.api.mobile.change.finish", ChangeConfirmation, CodeChallenge)
VERIFY_NEW_MOBILE = SignedEndpoint("identity.api.mobile.change.verify", ChangeConfirmation, Empty)
SEARCH_DIRECTORY = hidden("identity.api.directory.search", DirectorySearch, DirectoryPage)

# From other services (NATS permissions decide which).
LOOK_UP_PHYSICIAN = Endpoint("identity.svc.physician.lookup", PhysicianLookup, PhysicianStatus)
FIND_CONTACT = Endpoint("identity.svc.contact", ContactLookup, Contact)

# To every gateway copy: it stops reusing what it remembers of these sessions and ends their event
# streams at once (core NATS: a copy disconnected then forgets them when its memory expires).
SESSIONS_ENDED = Event("identity.events.sessions_ended", SessionsEnded)
