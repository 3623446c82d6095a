"""`python -m deploy.dev_outbox`: where email and SMS go in development and tests, instead of out.

One process runs an SMTP server that accepts any mail and a fake SMS provider speaking
Twilio's Messages API (2010-04-01) as notify uses it. Each message received becomes one JSON
file in DEV_OUTBOX_DIR, `<time_ns>-<uuid4 hex>.json`:
{"kind": "sms"|"email", "to", "subject" (null for SMS), "body", "received_at", "message_id"
(the email's Message-ID header, or the SMS's idempotency token; null without one)}.
Files appear atomically (written under a dot-name, then renamed), so a reader never sees half
of one.

Like a receiver that honours them, it takes a Message-ID or an idempotency token it already
has as the same message: accepted again, stored once (notify's PORTAL_SMTP_IDEMPOTENT and
PORTAL_SMS_IDEMPOTENT say the receivers behave so).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import logging
import os
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Literal

from aiohttp import BasicAuth, hdrs, web
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session

from common import event_loop
from common.settings import env_int, env_str
from services.notify.sms import IDEMPOTENCY_HEADER

log = logging.getLogger("dev_outbox")

HOST = "127.0.0.1"


@dataclass(frozen=True)
class DevOutboxSettings:
    directory: Path
    smtp_port: int
    sms_port: int
    sms_account_sid: str
    sms_auth_token: str = field(repr=False)

    @classmethod
    def from_env(cls) -> DevOutboxSettings:
        return cls(
            directory=Path(env_str("DEV_OUTBOX_DIR")),
            smtp_port=env_int("DEV_SMTP_PORT", 8025),
            sms_port=env_int("DEV_SMS_PORT", 8026),
            sms_account_sid=env_str("SMS_ACCOUNT_SID"),
            sms_auth_token=env_str("SMS_AUTH_TOKEN"),
        )


REPEATS = "repeats.log"


class Outbox:
    """The directory of received messages, one JSON file each."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o700)  # codes and temporary passwords: for this user's eyes only
        self._kept: dict[str, str] = {}  # message_id -> what the receiver answered for it
        for path in directory.glob("*.json"):
            try:
                document = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            if document.get("message_id"):
                self._kept[document["message_id"]] = document.get("answer") or ""

    def answered(self, message_id: str | None) -> str | None:
        """What was answered for this Message-ID or idempotency token, if it came already (each
        repeat is noted in `repeats.log`, one id a line: the drills count them)."""
        answer = None if not message_id else self._kept.get(message_id)
        if answer is not None:
            with open(self.directory / REPEATS, "a", encoding="utf-8") as file:
                file.write(f"{message_id}\n")
        return answer

    def store(
        self,
        kind: Literal["sms", "email"],
        to: str,
        subject: str | None,
        body: str,
        message_id: str | None = None,
        answer: str = "",
    ) -> Path:
        """Write one message atomically; return its file."""
        name = f"{time.time_ns()}-{uuid.uuid4().hex}.json"
        document = {
            "kind": kind,
            "to": to,
            "subject": subject,
            "body": body,
            "received_at": datetime.now(UTC).isoformat(),
            "message_id": message_id,
            "answer": answer,
        }
        if message_id:
            self._kept[message_id] = answer
        temporary = self.directory / f".{name}.tmp"
        with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as file:
            json.dump(document, file, ensure_ascii=False)
            file.flush()
            os.fsync(file.fileno())
        final = self.directory / name
        os.replace(temporary, final)
        log.info("stored %s %s", kind, name)
        return final


# --- SMTP ---------------------------------------------------------------------------------


class MailSink:
    """aiosmtpd handler: every message is accepted and stored."""

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        text_part = message.get_body(preferencelist=("plain",))
        # Lines arrive CRLF-terminated from SMTP; readers compare text, not wire format.
        body = text_part.get_content().replace("\r\n", "\n") if text_part is not None else ""
        subject, message_id = message["Subject"], message["Message-ID"]
        if self._outbox.answered(str(message_id) if message_id is not None else None) is not None:
            return "250 Message accepted for delivery (already received)"
        self._outbox.store(
            "email",
            ", ".join(envelope.rcpt_tos),
            str(subject) if subject is not None else None,
            body,
            str(message_id) if message_id is not None else None,
        )
        return "250 Message accepted for delivery"


def _accept_any_login(*_: Any) -> AuthResult:
    # A sink: a client configured with SMTP credentials must work against it too.
    return AuthResult(success=True)


async def start_smtp(outbox: Outbox, port: int) -> asyncio.Server:
    sink = MailSink(outbox)
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(
            sink,
            hostname="localhost",
            enable_SMTPUTF8=True,
            authenticator=_accept_any_login,
            auth_require_tls=False,
        ),
        HOST,
        port,
    )


# --- SMS (Twilio Messages API) ------------------------------------------------------------

OUTBOX = web.AppKey("outbox", Outbox)
SETTINGS = web.AppKey("settings", DevOutboxSettings)


def twilio_error(status: int, code: int, message: str) -> web.Response:
    """An error body as Twilio writes them."""
    return web.json_response(
        {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status},
        status=status,
    )


def _authenticated(request: web.Request, settings: DevOutboxSettings) -> bool:
    header = request.headers.get(hdrs.AUTHORIZATION, "")
    try:
        auth = BasicAuth.decode(header)
    except ValueError:
        return False
    return secrets.compare_digest(auth.login, settings.sms_account_sid) and secrets.compare_digest(
        auth.password, settings.sms_auth_token
    )


async def create_message(request: web.Request) -> web.Response:
    """POST /2010-04-01/Accounts/{sid}/Messages.json"""
    settings = request.app[SETTINGS]
    if not _authenticated(request, settings):
        return twilio_error(401, 20003, "Authenticate")
    account_sid = request.match_info["sid"]
    if account_sid != settings.sms_account_sid:
        return twilio_error(
            404, 20404, f"The requested resource /2010-04-01/Accounts/{account_sid}/Messages.json was not found"
        )
    form = await request.post()
    to, sender, body = (form.get(name) for name in ("To", "From", "Body"))
    if not isinstance(to, str) or not to:
        return twilio_error(400, 21604, "A 'To' phone number is required.")
    if not isinstance(sender, str) or not sender:
        return twilio_error(400, 21603, "A 'From' phone number is required.")
    if not isinstance(body, str) or not body:
        return twilio_error(400, 21602, "Message body is required.")
    outbox = request.app[OUTBOX]
    token = request.headers.get(IDEMPOTENCY_HEADER) or None
    message_sid = outbox.answered(token)
    if message_sid is None:
        message_sid = "SM" + uuid.uuid4().hex
        outbox.store("sms", to, None, body, token, answer=message_sid)
    now = format_datetime(datetime.now(UTC), usegmt=False)
    uri = f"/2010-04-01/Accounts/{account_sid}/Messages/{message_sid}.json"
    return web.json_response(
        {
            "account_sid": account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender,
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": message_sid,
            "status": "queued",
            "subresource_uris": {"media": uri.removesuffix(".json") + "/Media.json"},
            "to": to,
            "uri": uri,
        },
        status=201,
    )


def sms_app(outbox: Outbox, settings: DevOutboxSettings) -> web.Application:
    app = web.Application()
    app[OUTBOX] = outbox
    app[SETTINGS] = settings
    app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", create_message)
    return app


# --- process ------------------------------------------------------------------------------


async def serve(settings: DevOutboxSettings) -> None:
    """Run both sinks until SIGTERM or SIGINT."""
    stop = event_loop.stop_on_signals()

    outbox = Outbox(settings.directory)
    smtp = await start_smtp(outbox, settings.smtp_port)
    runner = web.AppRunner(sms_app(outbox, settings), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, HOST, settings.sms_port).start()
        log.info(
            "dev outbox: SMTP on %s:%d, SMS on http://%s:%d, messages in %s",
            HOST,
            settings.smtp_port,
            HOST,
            settings.sms_port,
            settings.directory,
        )
        await stop.wait()
        log.info("dev outbox stopping")
    finally:
        smtp.close()
        try:
            # From Python 3.12 this waits for open SMTP sessions too: do not wait on idle clients.
            await asyncio.wait_for(smtp.wait_closed(), 2.0)
        except TimeoutError:
            pass
        await runner.cleanup()


def main() -> None:
    settings = DevOutboxSettings.from_env()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s dev_outbox %(levelname)s %(name)s: %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command trace
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
