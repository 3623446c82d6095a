"""Sending an SMS through a provider that speaks Twilio's Messages API (2010-04-01)."""

from __future__ import annotations

import base64
import logging
from urllib.parse import quote

import aiohttp

from common.errors import ServiceUnavailable

from .config import SmsSettings
from .outcomes import InDoubt, Refused

log = logging.getLogger(__name__)

TIMEOUT = aiohttp.ClientTimeout(total=10.0)
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
"""Sent with every message: its ledger row's token, the same each time it is handed over."""


class SmsProvider:
    """The provider's HTTP API, over one client session opened for the life of the service."""

    def __init__(self, settings: SmsSettings, session: aiohttp.ClientSession) -> None:
        self._session = session
        self._sender = settings.sender
        credentials = f"{settings.account_sid}:{settings.auth_token}".encode()
        self._headers = {"Authorization": "Basic " + base64.b64encode(credentials).decode("ascii")}
        self._url = f"{settings.api_url}/2010-04-01/Accounts/{quote(settings.account_sid, safe='')}/Messages.json"

    async def send(self, to: str, text: str, idempotency_token: str | None = None) -> str:
        """Hand the message to the provider; return its message id.

        Raises ServiceUnavailable when nothing reached the provider, InDoubt when the request went
        but its answer did not come (the provider may send it; a provider that honours the
        idempotency token takes it again as the same message), Refused when it refuses this
        message itself (400, 422)."""
        form = {"To": to, "From": self._sender, "Body": text}
        headers = dict(self._headers)
        if idempotency_token:
            headers[IDEMPOTENCY_HEADER] = idempotency_token
        try:
            async with self._session.post(self._url, data=form, headers=headers, timeout=TIMEOUT) as response:
                status = response.status
                answer = await response.json(content_type=None) if status == 201 else None
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:  # never reached it
            log.warning("sms provider unreachable (%s)", type(exc).__name__)
            raise ServiceUnavailable("sms provider unavailable") from None
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            # Only the exception's type: its text may quote the request, and the request holds a code.
            log.warning("sms provider's answer lost (%s)", type(exc).__name__)
            raise InDoubt("sms provider's answer never came") from None
        if status in (400, 422):  # this message (its number): 401/403/404 are ours to fix, tried again
            log.warning("sms provider refused a message for good (HTTP %d)", status)
            raise Refused(f"refused by the sms provider ({status})")
        sid = answer.get("sid") if isinstance(answer, dict) else None
        if not isinstance(sid, str) or not sid:
            log.warning("sms provider did not take a message (HTTP %d)", status)
            raise ServiceUnavailable("sms provider unavailable")
        return sid
