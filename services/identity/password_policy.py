"""What a new password must be (NIST SP 800-63B, OWASP ASVS 5.0 V6.2).

At least 12 characters once normalised (NFKC, as it is hashed), up to 1,024 (far beyond the
128 a password manager may produce), never truncated; no composition rules, no expiry; not one
of the 30,000 most common passwords (zxcvbn's list from leaked password sets), nor the
account's own login name or email address, whatever the case.
"""

from __future__ import annotations

import sys

from common.contracts.identity import (
    PASSWORD_COMMON,
    PASSWORD_IS_A_NAME,
    PASSWORD_TOO_LONG,
    PASSWORD_TOO_SHORT,
)
from common.contracts.identity import (
    PASSWORD_MAX_LENGTH as MAX_LENGTH,
)
from common.contracts.identity import (
    PASSWORD_MIN_LENGTH as MIN_LENGTH,
)

from .passwords import normalise


def load_common_passwords() -> frozenset[str]:
    """The common passwords, case-folded (read once at start-up, kept in the service's Deps);
    zxcvbn's other lists (12 MB of words and names) are dropped once this one is read."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    passwords = frozenset(password.casefold() for password in FREQUENCY_LISTS["passwords"])
    sys.modules.pop("zxcvbn.frequency_lists", None)
    return passwords


def refusal(password: str, common: frozenset[str], *, login: str | None = None, email: str | None = None) -> str | None:
    """Why `password` cannot be a new password, in words the physician can act on; None if it can."""
    normalised = normalise(password)
    if len(normalised) < MIN_LENGTH:
        return PASSWORD_TOO_SHORT
    if len(normalised) > MAX_LENGTH:
        return PASSWORD_TOO_LONG
    folded = normalised.casefold()
    if folded in common:
        return PASSWORD_COMMON
    if folded in {(login or "").casefold(), (email or "").casefold()}:
        return PASSWORD_IS_A_NAME
    return None
