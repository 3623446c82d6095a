"""Audit's settings: the only place that reads its environment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from common.settings import ServiceSettings, SettingsError, env_file, env_int


@dataclass(frozen=True)
class AuditSettings:
    service: ServiceSettings
    token_public_key: Path
    checkpoint_key: Path
    """Ed25519 private key (PEM) that signs the chain's checkpoints."""
    checkpoint_seconds: int
    """How often the chain's head is signed and published on portal.audit.checkpoint."""
    verify_seconds: int
    """How often the whole chain is checked (an alarm when it is broken)."""

    @classmethod
    def from_env(cls) -> AuditSettings:
        return cls(
            service=ServiceSettings.from_env("audit"),
            token_public_key=env_file("PORTAL_TOKEN_PUBLIC_KEY"),
            checkpoint_key=env_file("PORTAL_AUDIT_CHECKPOINT_KEY"),
            checkpoint_seconds=_positive(
                "PORTAL_AUDIT_CHECKPOINT_SECONDS", env_int("PORTAL_AUDIT_CHECKPOINT_SECONDS", 900)
            ),
            verify_seconds=_positive("PORTAL_AUDIT_VERIFY_SECONDS", env_int("PORTAL_AUDIT_VERIFY_SECONDS", 3600)),
        )


def _positive(name: str, value: int) -> int:
    if value < 1:
        raise SettingsError(name, "must be a number of seconds, at least 1")
    return value
