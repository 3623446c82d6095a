"""Settings of the documents service."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from common.sealed.keys import MasterKeys
from common.settings import ServiceSettings, SettingsError, env_file, env_int, env_str


def _master_keys() -> MasterKeys:
    spec = env_str("PORTAL_MASTER_KEYS")
    active = env_str("PORTAL_MASTER_KEY_ID")
    try:
        return MasterKeys.parse(spec, active)
    except ValueError as exc:
        raise SettingsError("PORTAL_MASTER_KEYS", f"is malformed: {exc}") from None


@dataclass(frozen=True)
class DocumentsSettings:
    service: ServiceSettings
    token_public_key: Path
    master_keys: MasterKeys
    pending_designation_days: int
    pending_sweep_seconds: int
    ingest_concurrency: int

    @classmethod
    def from_env(cls) -> DocumentsSettings:
        return cls(
            service=ServiceSettings.from_env("documents"),
            token_public_key=env_file("PORTAL_TOKEN_PUBLIC_KEY"),
            master_keys=_master_keys(),
            pending_designation_days=env_int("PORTAL_PENDING_DESIGNATION_DAYS", 30),
            pending_sweep_seconds=env_int("PORTAL_PENDING_SWEEP_SECONDS", 60),
            ingest_concurrency=env_int("PORTAL_INGEST_CONCURRENCY", 16),
        )
