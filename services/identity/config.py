"""Settings of the identity service."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from common.settings import ServiceSettings, SettingsError, env_file, env_int, env_str

from .sealing import parse_key


@dataclass(frozen=True)
class IdentitySettings:
    service: ServiceSettings
    signing_key: Path
    token_ttl_seconds: int
    session_idle_seconds: int
    session_absolute_seconds: int
    sms_code_ttl_seconds: int
    sms_code_max_attempts: int
    data_key: bytes  # seals authenticator-app secrets (sealing.py)
    public_url: str  # named in emails (the temporary password's)

    @classmethod
    def from_env(cls) -> "IdentitySettings":
        return cls(
            service=ServiceSettings.from_env(),
            signing_key=env_file("PORTAL_TOKEN_SIGNING_KEY"),
            token_ttl_seconds=env_int("PORTAL_TOKEN_TTL_SECONDS", 120),
            session_idle_seconds=env_int("PORTAL_SESSION_IDLE_SECONDS", 30 * 60),
            session_absolute_seconds=env_int("PORTAL_SESSION_ABSOLUTE_SECONDS", 12 * 3600),
            sms_code_ttl_seconds=env_int("PORTAL_SMS_CODE_TTL_SECONDS", 300),
            sms_code_max_attempts=env_int("PORTAL_SMS_CODE_MAX_ATTEMPTS", 5),
            data_key=_data_key(),
            public_url=env_str("PORTAL_PUBLIC_URL", "http://127.0.0.1:8080").rstrip("/"),
        )


def _data_key() -> bytes:
    try:
        return parse_key(env_str("PORTAL_IDENTITY_DATA_KEY"))
    except ValueError as exc:
        raise SettingsError("PORTAL_IDENTITY_DATA_KEY", f"is malformed: {exc}") from None
