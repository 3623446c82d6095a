"""Settings of the identity service."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from common.settings import ServiceSettings, env_file, env_int


@dataclass(frozen=True)
class IdentitySettings:
    service: ServiceSettings
    signing_key: Path
    token_ttl_seconds: int
    session_idle_seconds: int
    session_absolute_seconds: int
    sms_code_ttl_seconds: int
    sms_code_max_attempts: int

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
        )
