"""Words for the codes the services answer with (categories, reasons), translated where shown.

The English labels are message ids: `N_` marks them for `pybabel extract`, and the templates'
`category` and `reason` filters translate them in the page's language.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import get_args

from common.contracts import audit, identity, notifications, requests, support
from common.contracts.documents import Category
from common.contracts.hospital import UndeliveredReason
from common.contracts.hospital_requests import RequestKind
from common.contracts.undelivered import DETAILS, read_detail


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


CATEGORY_LABELS: dict[str, str] = {
    "discharge_letter": N_("Discharge letter"),
    "consultation_report": N_("Consultation report"),
    "operative_report": N_("Operative report"),
    "imaging_report": N_("Imaging report"),
    "lab_report": N_("Laboratory results"),
    "other": N_("Other document"),
}

REASON_LABELS: dict[str, str] = {
    "not_final": N_("Not final"),
    "not_communicating": N_("Not classed as communicating"),
    "no_designation": N_("No designated physician"),
    "no_consent": N_("No consent to electronic sending"),
    "designation_revoked": N_("Designation revoked"),
    "physician_unknown": N_("Physician unknown to the portal"),
    "physician_not_activated": N_("Physician's account not activated"),
    "invalid_content": N_("Invalid content"),
}

# An undelivered document's detail (common.contracts.undelivered), as administrators read it
DETAIL_LABELS: dict[str, str] = {
    "preliminary": N_("The document is preliminary"),
    "not_communicating": N_("The document is not classed as communicating"),
    "no_designation": N_("No physician is designated for this episode"),
    "designation_revoked": N_("The designation of %(physician)s was revoked"),
    "no_consent": N_("No electronic consent for %(physician)s"),
    "physician_unknown": N_("%(physician)s has no account on the portal"),
    "physician_not_activated": N_("The account of %(physician)s is not activated"),
    "not_base64": N_("The content is not valid base64"),
    "inline_too_large": N_("The content sent in the message is larger than %(size)s"),
    "no_object": N_("The content is not in the Object Store"),
    "digest_mismatch": N_("The content does not match its SHA-256 digest"),
    "media_type_refused": N_("The media type %(media_type)s is not accepted"),
    "too_large": N_("The content is larger than %(size)s"),
    "not_its_media_type": N_("The content is not a %(media_type)s file"),
    "none_of_the_media_types": N_("The content is none of these types: %(media_types)s"),
}
assert set(DETAIL_LABELS) == set(DETAILS)


def undelivered_detail(text: str, gettext: Callable[[str], str]) -> str:
    """A detail in the page's language; words the gateway does not know are shown as they are."""
    found = read_detail(text)
    if found is None:
        return text
    values = dict(found.values)
    if "physician" in values:
        values["physician"] = practice_number(values["physician"])
    return gettext(DETAIL_LABELS[found.code]) % values


def practice_number(code: str | None) -> str:
    """A physician's number as people write it: "gln:7601000000003" is "GLN 7601000000003"."""
    if not code:
        return "–"
    kind, _, number = code.partition(":")
    return f"{kind.upper()} {number}" if number else kind


_PRACTICE_NUMBERS = re.compile(r"\b(gln|rpps):(\d+)")


def readable_numbers(text: str | None) -> str:
    """A recorded text with each "gln:7601…" written as people do ("GLN 7601…"), for the audit log's
    details: what was recorded, only the numbers' notation changed."""
    return _PRACTICE_NUMBERS.sub(lambda found: f"{found[1].upper()} {found[2]}", text) if text else "–"


_WRITTEN_NUMBER = re.compile(r"\s*(gln|rpps)\s*:?\s*(\d+)\s*", re.IGNORECASE)


def recorded_number(text: str | None) -> str | None:
    """What an administrator types as people write it ("GLN 7601…") as the records hold it ("gln:7601…")."""
    found = _WRITTEN_NUMBER.fullmatch(text) if text else None
    return f"{found[1].lower()}:{found[2]}" if found else text


BORN = N_("born %(date)s")
DATED = N_("dated %(date)s")  # a document's own date, under its title in a list (docs)
PATIENT_NUMBER = N_("patient no. %(id)s")  # the hospital's patient id: tells namesakes apart (docs)

CATEGORIES: tuple[str, ...] = get_args(Category)
REASONS: tuple[str, ...] = get_args(UndeliveredReason)

# The contract is the source of the codes; a code without a label would show as a raw code.
assert set(CATEGORY_LABELS) == set(CATEGORIES) and set(REASON_LABELS) == set(REASONS)


# the subjects of the help page's contact form (F8)
SUPPORT_TOPICS: dict[str, str] = {
    "documents": N_("A document does not arrive"),
    "login": N_("Logging in"),
    "registration": N_("Asking for an account"),
    "other": N_("Another question"),
}
assert set(SUPPORT_TOPICS) == set(get_args(support.Topic))


# identity's refusals of a new password, as the physician reads them
PASSWORD_REFUSALS: dict[str, str] = {
    identity.PASSWORD_TOO_SHORT: N_("The new password must have at least 12 characters."),
    identity.PASSWORD_TOO_LONG: N_("The new password must have at most 1,024 characters."),
    identity.PASSWORD_COMMON: N_("This password is among the most common ones: choose another."),
    identity.PASSWORD_IS_A_NAME: N_("The password must not be your login name or your email address."),
    identity.NO_MOBILE: N_("Your account has no mobile number to confirm the change: ask an administrator."),
    identity.HIN_ONLY: N_("You log in with HIN: your password and your mobile number are HIN's, changed at HIN."),
}


# A registration request's state, as validators and administrators read it
REQUEST_STATES: dict[str, str] = {
    "submitted": N_("waiting for the identity check"),
    "validated": N_("waiting for its login"),
    "login_created": N_("login created"),
    "refused": N_("refused"),
}


# Why a validator refuses a registration request (the applicant's email words it in notify)
REFUSAL_REASON_LABELS: dict[str, str] = {
    "identity_not_confirmed": N_("The identity document shown does not confirm the applicant's identity"),
    "number_not_theirs": N_("The GLN or RPPS number is not that of a physician in practice by this name"),
    "shared_account": N_("The account would be a practice's or a secretariat's (one account, one physician)"),
    "no_identity_check": N_("The identity check did not take place"),
    "other": N_("Another reason (the applicant is asked to contact the support)"),
}
REFUSAL_REASONS: tuple[str, ...] = get_args(notifications.RegistrationRefusalReason)
assert set(REFUSAL_REASON_LABELS) == set(REFUSAL_REASONS)


# The hospital's services that receive requests: whose patients, and what they receive
SERVICE_DOMAINS: dict[str, str] = {
    "adults": N_("adults"),
    "paediatrics": N_("paediatrics"),
    "both": N_("adults and paediatrics"),
}
REQUEST_KINDS: dict[str, str] = {
    "consultation": N_("consultation requests"),
    "tumor_board": N_("tumor-board requests"),
    "message": N_("messages"),
}

# A physician's request, as Mes demandes shows it
REQUEST_STATUSES: dict[str, str] = {
    "draft": N_("draft"),
    "submitted": N_("sent"),
    "received": N_("received"),
    "in_progress": N_("in progress"),
    "information_needed": N_("more information asked"),
    "answered": N_("answer available"),
    "closed": N_("closed"),
}
# Mes demandes' period filter: changed within the last 30 days, 3 or 12 calendar months (the
# requests service's PERIODS say so exactly)
REQUEST_PERIODS: dict[str, str] = {
    "30d": N_("In the last 30 days"),
    "3m": N_("In the last 3 months"),
    "12m": N_("In the last 12 months"),
}
REQUEST_KIND_NAMES: dict[str, str] = {
    "consultation": N_("Consultation"),
    "tumor_board": N_("Tumor board"),
    "message": N_("Message"),
}
REQUEST_URGENCIES: dict[str, str] = {"routine": N_("Routine"), "urgent": N_("Urgent")}

# The contract's codes: each one has its words, and the filters offer no other
assert set(REQUEST_STATUSES) == set(get_args(requests.Status))
assert set(REQUEST_URGENCIES) == set(get_args(requests.InboxItem.model_fields["urgency"].annotation))
assert set(REQUEST_KIND_NAMES) == set(get_args(RequestKind)) and set(REQUEST_PERIODS) == set(get_args(requests.Period))


ACCOUNT_ROLES: dict[str, str] = {
    "physician": N_("physician"),
    "validator": N_("validator"),
    "admin": N_("administrator"),
    "service_staff": N_("service staff"),
}
ACCOUNT_STATUSES: dict[str, str] = {
    "pending": N_("pending"),
    "active": N_("active"),
    "deactivated": N_("deactivated"),
}

FILE_KINDS = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
KB_SIZE, MB_SIZE = N_("%(size)s KB"), N_("%(size)s MB")
"""A file's size: kilobytes under a megabyte, else megabytes (binary units, as the limits say)."""


# The audit log, as administrators search it and a physician sees their own activity
AUDIT_OUTCOMES: dict[str, str] = {"success": N_("succeeded"), "failure": N_("failed")}
AUDIT_ACTORS: dict[str, str] = {
    "physician": N_("physician"),
    "staff": N_("hospital staff"),
    "hospital": N_("hospital"),
    "system": N_("portal"),
    "anonymous": N_("not logged in"),
}
AUDIT_ENTITIES: dict[str, str] = {
    "account": N_("account"),
    "session": N_("session"),
    "document": N_("document"),
    "message": N_("message"),
    "registration": N_("registration request"),
    "application": N_("application"),
    "service": N_("service"),
    "request": N_("request"),
}
assert set(AUDIT_ACTORS) == set(get_args(audit.Party.model_fields["kind"].annotation))
assert set(AUDIT_ENTITIES) == set(get_args(audit.Entity.model_fields["kind"].annotation))

ACTIVITY_KINDS: dict[str, str] = {
    "logins": N_("Logins"),
    "documents": N_("Documents opened"),
    "sessions": N_("Sessions ended"),
}
LOGIN_METHODS: dict[str, str] = {
    "login.password": N_("password and SMS code"),
    "login.code": N_("password and SMS code"),
    "login.hin": N_("HIN"),
}
assert set(ACTIVITY_KINDS) == set(audit.ACTIVITY_ACTIONS)
# How a session was opened (the security page); "" for sessions opened before it was kept.
SESSION_METHODS: dict[str, str] = {
    "sms": N_("password and SMS code"),
    "app": N_("password and authenticator app"),
    "hin": N_("HIN"),
}
assert set(LOGIN_METHODS) == set(audit.ACTIVITY_ACTIONS["logins"])
# The notification log (F10): what a message was about, and where it is (never its text)
NOTIFICATION_CATEGORIES: dict[str, str] = {
    "documents": N_("New documents"),
    "answers": N_("Answers to requests"),
    "daily_summary": N_("Daily summary"),
    "code": N_("Codes by SMS"),
    "notice": N_("Notices about the account"),
    "password": N_("Temporary passwords"),
    "other": N_("Other messages"),
}
NOTIFICATION_KINDS: dict[str, str] = {
    "new_document": N_("New document"),
    "new_documents": N_("New documents"),
    "request_answered": N_("Answer to a request"),
    "requests_answered": N_("Answers to requests"),
    "daily_summary": N_("Daily summary"),
    "code.login": N_("Login code"),
    "code.password_change": N_("Code to change the password"),
    "code.mobile_change": N_("Code to change the mobile number"),
    "code.new_mobile": N_("Code to confirm a new mobile number"),
    "code.registration_control": N_("Control code of a registration"),
    "code.mobile_control": N_("Control code of a new mobile number"),
    "code.account_unlock": N_("Code to unlock the login"),
    "notice.mobile_changed": N_("Notice: mobile number changed"),
    "notice.hin_linked": N_("Notice: HIN identity linked"),
    "notice.registration_attempt": N_("Notice: an account asked with this number"),
    "temporary_password.login_created": N_("Temporary password of a new login"),
    "temporary_password.staff_created": N_("Temporary password of a new staff login"),
    "temporary_password.password_reset": N_("New temporary password"),
    "temporary_password.app_reset": N_("Temporary password after an app reset"),
}
"""The kinds notify knows today; a newer one is shown by its category."""
NOTIFICATION_DELIVERIES: dict[str, str] = {
    "waiting": N_("waiting to be sent"),
    "sent": N_("sent out"),
    "refused": N_("refused by the receiver"),
    "uncertain": N_("uncertain: it may have arrived"),
    "expired": N_("not sent: expired"),
}
NOTIFICATION_CHANNELS: dict[str, str] = {"email": N_("Email"), "sms": N_("SMS")}
assert set(NOTIFICATION_CATEGORIES) == set(get_args(notifications.Category))
assert set(NOTIFICATION_DELIVERIES) == set(get_args(notifications.Delivery))
assert set(NOTIFICATION_CHANNELS) == set(get_args(notifications.Channel))
