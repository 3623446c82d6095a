"""Words for the codes the services answer with (categories, reasons), translated where shown.

The English labels are message ids: `N_` marks them for `pybabel extract`, and the templates'
`category` and `reason` filters translate them in the page's language.
"""

from __future__ import annotations

from typing import get_args

from common.contracts import audit, identity, requests, support
from common.contracts.documents import Category
from common.contracts.hospital import UndeliveredReason
from common.contracts.hospital_requests import RequestKind


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

BORN = N_("born %(date)s")

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
assert set(LOGIN_METHODS) == set(audit.ACTIVITY_ACTIONS["logins"])
