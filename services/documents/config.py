"""Settings of the documents service."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from common.sealed.keys import MasterKeys
from common.settings import ServiceSettings, env_file, env_int


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
            master_keys=MasterKeys.from_env(),
            pending_designation_days=env_int("PORTAL_PENDING_DESIGNATION_DAYS", 30),
            pending_sweep_seconds=env_int("PORTAL_PENDING_SWEEP_SECONDS", 60),
            ingest_concurrency=env_int("PORTAL_INGEST_CONCURRENCY", 16),
        )
