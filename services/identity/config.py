"""Settings of the identity service."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from common import envelopes
from common.contracts.identity import SESSION_IDLE_SECONDS, SMS_CODE_TTL_SECONDS
from common.settings import ServiceSettings, SettingsError, base64_key, env_file, env_int, env_parsed, env_str

_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s.]{2,63}")


def _email_address(name: str, value: str) -> str:
    if value and not _EMAIL.fullmatch(value):
        raise SettingsError(name, "must be empty or an email address such as support@hopital.example.ch")
    return value


@dataclass(frozen=True)
class HinSettings:
    """HIN's OAuth 2.0 endpoints and the portal's client there (HIN login is off without a client id)."""

    authorize_url: str
    token_url: str
    userinfo_url: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str  # exactly as registered at HIN: the gateway's /login/hin/callback
    scope: str

    @classmethod
    def from_env(cls, public_url: str) -> HinSettings | None:
        client_id = env_str("PORTAL_HIN_CLIENT_ID", "")
        if not client_id:
            return None
        return cls(
            authorize_url=env_str("PORTAL_HIN_AUTHORIZE_URL"),
            token_url=env_str("PORTAL_HIN_TOKEN_URL"),
            userinfo_url=env_str("PORTAL_HIN_USERINFO_URL"),
            client_id=client_id,
            client_secret=env_str("PORTAL_HIN_CLIENT_SECRET"),
            redirect_uri=env_str("PORTAL_HIN_REDIRECT_URI", f"{public_url}/login/hin/callback"),
            scope=env_str("PORTAL_HIN_SCOPE", "openid profile email hin"),
        )


@dataclass(frozen=True)
class IdentitySettings:
    service: ServiceSettings
    signing_key: Path
    assertion_signing_key: Path  # signs the assertions that open secure applications (F4)
    token_ttl_seconds: int
    session_idle_seconds: int
    session_absolute_seconds: int
    sms_code_ttl_seconds: int
    sms_code_max_attempts: int
    housekeeping_seconds: int  # how often expired throttles and attempts are forgotten
    data_key: bytes  # seals authenticator-app secrets (sealing.py)
    for_notify: envelopes.Sealer  # seals the codes and temporary passwords notify sends
    public_url: str  # HIN's redirect URI is made from it
    hin: HinSettings | None
    support_email: str = ""  # where the help page's contact form sends (empty: kept for the administrators only)

    @classmethod
    def from_env(cls) -> IdentitySettings:
        public_url = env_str("PORTAL_PUBLIC_URL", "http://127.0.0.1:8080").rstrip("/")
        return cls(
            service=ServiceSettings.from_env("identity"),
            signing_key=env_file("PORTAL_TOKEN_SIGNING_KEY"),
            assertion_signing_key=env_file("PORTAL_ASSERTION_SIGNING_KEY"),
            token_ttl_seconds=env_int("PORTAL_TOKEN_TTL_SECONDS", 120),
            session_idle_seconds=env_int("PORTAL_SESSION_IDLE_SECONDS", SESSION_IDLE_SECONDS),
            session_absolute_seconds=env_int("PORTAL_SESSION_ABSOLUTE_SECONDS", 12 * 3600),
            sms_code_ttl_seconds=env_int("PORTAL_SMS_CODE_TTL_SECONDS", SMS_CODE_TTL_SECONDS),
            sms_code_max_attempts=env_int("PORTAL_SMS_CODE_MAX_ATTEMPTS", 5),
            housekeeping_seconds=env_int("PORTAL_HOUSEKEEPING_SECONDS", 600),
            data_key=env_parsed("PORTAL_IDENTITY_DATA_KEY", base64_key),
            for_notify=env_parsed("PORTAL_NOTIFY_PUBLIC_KEY", envelopes.Sealer),
            public_url=public_url,
            hin=HinSettings.from_env(public_url),
            support_email=_email_address("PORTAL_SUPPORT_EMAIL", env_str("PORTAL_SUPPORT_EMAIL", "")),
        )
