"""Audit's settings: the only place that reads its environment."""

from __future__ import annotations

from dataclasses import dataclass

from common.settings import ServiceSettings


@dataclass(frozen=True)
class AuditSettings:
    service: ServiceSettings

    @classmethod
    def from_env(cls) -> AuditSettings:
        return cls(service=ServiceSettings.from_env("audit"))
