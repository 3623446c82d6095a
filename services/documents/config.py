"""Settings of the documents service."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from common.settings import ServiceSettings, env_file


@dataclass(frozen=True)
class DocumentsSettings:
    service: ServiceSettings
    token_public_key: Path

    @classmethod
    def from_env(cls) -> "DocumentsSettings":
        return cls(service=ServiceSettings.from_env(), token_public_key=env_file("PORTAL_TOKEN_PUBLIC_KEY"))
