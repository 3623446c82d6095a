"""Account recovery (F5.6): a physician who forgot their password renews it alone, with a link sent
by email and a code sent by SMS to the registered mobile. Answered by identity.

The first step answers the same whatever it was given (a name that has an account or not, an
account that logs in with HIN, a staff account): what differs goes by email to the account's own
address, never back to the browser.
"""

from __future__ import annotations

from pydantic import Field

from .base import ClientIp, Empty, Endpoint, Message, Secret
from .identity import CodeChallenge

LINK_MINUTES = 30
"""How long a recovery link may be used (once)."""

LINK_DEAD = "this recovery link is used, replaced by a newer one, or expired"
"""Why identity refuses a link (the description of its Unauthenticated); the pages say it in words."""


class RecoveryAsk(Message):
    """A login name or an email address: if it names an account, an email goes to that account."""

    name: str = Field(min_length=1, max_length=254)
    client_ip: ClientIp = ""


class RecoveryLink(Message):
    """The token of the link the email holds (from the browser's cookie, where the gateway put it)."""

    token: str = Secret
    client_ip: ClientIp = ""


class RecoveryStart(Message):
    """The link's token and the new password; the answer's code goes by SMS to the registered mobile."""

    token: str = Secret
    new_password: str = Secret
    client_ip: ClientIp = ""


class RecoveryFinish(Message):
    """The SMS code that confirms the new password, with the link and the attempt it belongs to."""

    token: str = Secret
    challenge: str = Secret
    code: str = Field(min_length=1, max_length=20)
    client_ip: ClientIp = ""


ASK_RECOVERY = Endpoint("identity.api.recovery.ask", RecoveryAsk, Empty)
CHECK_RECOVERY_LINK = Endpoint("identity.api.recovery.check", RecoveryLink, Empty)
START_RECOVERY = Endpoint("identity.api.recovery.start", RecoveryStart, CodeChallenge)
FINISH_RECOVERY = Endpoint("identity.api.recovery.finish", RecoveryFinish, Empty)
