"""How handing a message over can fail, whatever the channel (mail server, SMS provider).

ServiceUnavailable (common.errors): the receiver is away, try again; nothing was handed over,
unless it is the InDoubt below (which a receiver taking a message twice as once may get again).
"""

from __future__ import annotations

from common.errors import ServiceUnavailable


class Refused(Exception):
    """The receiver refused this message for good (an invalid address, say): retrying will not help."""


class InDoubt(ServiceUnavailable):
    """The message was handed over but the receiver's answer never came: it may have it."""


class Expired(Exception):
    """The message is no use any more (a code past its expiry): it is not sent."""
