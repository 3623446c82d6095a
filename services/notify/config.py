"""Notify's settings: the only place that reads its environment."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from common.contracts.notifications import DAILY_SUMMARY_HOUR
from common.envelopes import Opener
from common.settings import ServiceSettings, SettingsError, env_bool, env_file, env_hour, env_int, env_parsed, env_str


def _http_url(name: str, default: object | None = None) -> str:
    """An absolute http(s) URL without a trailing slash."""
    value = env_str(name) if default is None else env_str(name, default)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(name, "is malformed: expected an http:// or https:// URL")
    return value.rstrip("/")


def _optional(name: str) -> str | None:
    return env_str(name, "") or None


@dataclass(frozen=True)
class SmtpSettings:
    """The mail server notify submits to."""

    host: str
    port: int
    username: str | None
    password: str | None = field(repr=False)
    starttls: bool
    idempotent: bool  # the mail server takes a Message-ID it already has as the same message

    @classmethod
    def from_env(cls) -> SmtpSettings:
        return cls(
            host=env_str("SMTP_HOST", "127.0.0.1"),
            port=env_int("SMTP_PORT", 25),
            username=_optional("SMTP_USERNAME"),
            password=_optional("SMTP_PASSWORD"),
            starttls=env_bool("SMTP_STARTTLS", False),
            idempotent=env_bool("PORTAL_SMTP_IDEMPOTENT", False),
        )


@dataclass(frozen=True)
class SmsSettings:
    """A Twilio-compatible SMS provider (Messages API, 2010-04-01)."""

    api_url: str
    account_sid: str
    auth_token: str = field(repr=False)
    sender: str
    idempotent: bool  # the provider takes a message with an idempotency token it already has as the same

    @classmethod
    def from_env(cls) -> SmsSettings:
        return cls(
            api_url=_http_url("SMS_API_URL"),
            account_sid=env_str("SMS_ACCOUNT_SID"),
            auth_token=env_str("SMS_AUTH_TOKEN"),
            sender=env_str("SMS_FROM"),
            idempotent=env_bool("PORTAL_SMS_IDEMPOTENT", False),
        )


@dataclass(frozen=True)
class NotifySettings:
    service: ServiceSettings
    smtp: SmtpSettings
    sms: SmsSettings
    mail_from: str
    public_url: str
    opener: Opener = field(repr=False)  # opens the secrets sealed to notify (codes, temporary passwords)
    token_public_key: Path  # verifies the tokens of the notification log's callers
    daily_summary_hour: int  # Europe/Zurich

    @classmethod
    def from_env(cls) -> NotifySettings:
        return cls(
            service=ServiceSettings.from_env("notify"),
            smtp=SmtpSettings.from_env(),
            sms=SmsSettings.from_env(),
            mail_from=env_str("PORTAL_MAIL_FROM", "Portail <portail@localhost>"),
            public_url=_http_url("PORTAL_PUBLIC_URL", "http://127.0.0.1:8080"),
            opener=env_parsed("PORTAL_NOTIFY_PRIVATE_KEY", Opener),
            token_public_key=env_file("PORTAL_TOKEN_PUBLIC_KEY"),
            daily_summary_hour=env_hour("PORTAL_DAILY_SUMMARY_HOUR", DAILY_SUMMARY_HOUR),
        )
