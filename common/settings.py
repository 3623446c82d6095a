"""Read configuration from the environment, once, failing loudly with the variable's name."""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
_MISSING = object()


class SettingsError(SystemExit):
    """A configuration variable is missing or malformed; the process stops."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"configuration error: {name} {problem}")


def _read(name: str, cast: Callable[[str], T], default: object) -> T:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        if default is _MISSING:
            raise SettingsError(name, "is not set")
        return default  # type: ignore[return-value]
    try:
        return cast(raw)
    except (TypeError, ValueError) as exc:
        raise SettingsError(name, f"is malformed: {exc}") from None


def env_str(name: str, default: object = _MISSING) -> str:
    return _read(name, str, default)


def env_int(name: str, default: object = _MISSING) -> int:
    return _read(name, int, default)


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def env_bool(name: str, default: object = _MISSING) -> bool:
    return _read(name, _bool, default)


def _existing_file(raw: str) -> Path:
    path = Path(raw)
    if not path.is_file():
        raise ValueError(f"no such file: {raw}")
    return path


def env_file(name: str, default: object = _MISSING) -> Path:
    return _read(name, _existing_file, default)


def base64_key(text: str) -> bytes:
    """A 32-byte key as configured: base64 (white space around it ignored)."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64") from None
    if len(key) != 32:
        raise ValueError("not 32 bytes")
    return key


def env_parsed(name: str, parse: Callable[[str], T]) -> T:
    """A variable that must be set, made into what `parse` returns (its ValueError names the variable)."""
    return _read(name, parse, _MISSING)


def _choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    def cast(raw: str) -> str:
        if raw not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {raw!r}")
        return raw

    return cast


def env_choice(name: str, choices: tuple[str, ...], default: object = _MISSING) -> str:
    return _read(name, _choice(choices), default)


def _hour(raw: str) -> int:
    hour = int(raw)
    if not 0 <= hour <= 23:
        raise ValueError(f"expected an hour of the day (0-23), got {raw!r}")
    return hour


def env_hour(name: str, default: object = _MISSING) -> int:
    """An hour of the day, 0 to 23."""
    return _read(name, _hour, default)


@dataclass(frozen=True)
class BusSettings:
    """How a process reaches NATS: every process has its own user."""

    url: str
    user: str
    password: str = field(repr=False)
    stream_replicas: int = 1

    @classmethod
    def from_env(cls) -> BusSettings:
        return cls(
            url=env_str("NATS_URL", "nats://127.0.0.1:4222"),
            user=env_str("NATS_USER"),
            password=env_str("NATS_PASSWORD"),
            stream_replicas=env_int("NATS_STREAM_REPLICAS", 1),
        )


METRICS_PORTS = {"gateway": 9100, "identity": 9101, "documents": 9102, "requests": 9103, "notify": 9104, "audit": 9105}
"""Each process's default Prometheus port: on one machine, one copy of each needs no setting."""


@dataclass(frozen=True)
class OperationsSettings:
    """How a process is watched: its metrics port, when an outage is an alert, when it is not ready."""

    metrics_host: str
    metrics_port: int
    outage_alert_seconds: int
    ready_max_backlog_seconds: int

    @classmethod
    def from_env(cls, process: str) -> OperationsSettings:
        port = env_int("PORTAL_METRICS_PORT", METRICS_PORTS[process])
        if not 0 <= port <= 65535:
            raise SettingsError("PORTAL_METRICS_PORT", "is malformed: expected a port number")
        return cls(
            metrics_host=env_str("PORTAL_METRICS_HOST", "127.0.0.1"),
            metrics_port=port,
            outage_alert_seconds=env_int("PORTAL_OUTAGE_ALERT_SECONDS", 60),
            ready_max_backlog_seconds=env_int("PORTAL_READY_MAX_BACKLOG_SECONDS", 120),
        )


DB_POOL_SIZE = 10
"""A service copy's database connections unless PORTAL_DB_POOL_SIZE says otherwise."""


@dataclass(frozen=True)
class ServiceSettings:
    """What every back-end service reads: bus, database, environment, operations."""

    bus: BusSettings
    database_url: str
    environment: str
    log_level: str
    operations: OperationsSettings
    database_pool_size: int = DB_POOL_SIZE
    """Connections one copy may hold: every copy's pool together must fit PostgreSQL's max_connections."""

    @classmethod
    def from_env(cls, process: str) -> ServiceSettings:
        pool_size = env_int("PORTAL_DB_POOL_SIZE", DB_POOL_SIZE)
        if not 1 <= pool_size <= 100:
            raise SettingsError("PORTAL_DB_POOL_SIZE", "is malformed: expected a number of connections from 1 to 100")
        return cls(
            database_pool_size=pool_size,
            bus=BusSettings.from_env(),
            database_url=env_str("DATABASE_URL"),
            environment=env_choice("PORTAL_ENV", ("dev", "test", "prod"), "prod"),
            log_level=env_str("LOG_LEVEL", "INFO"),
            operations=OperationsSettings.from_env(process),
        )
