"""The gateway's settings: the only place it reads the environment."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path

from yarl import URL

from common.contracts.identity import SESSION_IDLE_SECONDS, SMS_CODE_TTL_SECONDS
from common.contracts.notifications import DAILY_SUMMARY_HOUR
from common.settings import (
    BusSettings,
    OperationsSettings,
    SettingsError,
    env_bool,
    env_choice,
    env_hour,
    env_int,
    env_str,
)

CSRF_SECRET_MIN_LENGTH = 32


DEMO_HOSPITAL_NAME = "Hôpital de démonstration"
DEMO_HOSPITAL_LOGO = "/static/hospital-logo.svg"
"""The demonstration's hospital, where PORTAL_HOSPITAL_NAME and PORTAL_HOSPITAL_LOGO_URL do not say."""


@dataclass(frozen=True)
class GatewaySettings:
    """What the gateway reads once at start-up."""

    bus: BusSettings
    http_host: str
    http_port: int
    public_url: str
    csrf_secret: str = field(repr=False)
    environment: str
    dev_outbox_dir: Path | None
    log_level: str
    trusted_proxies: frozenset[str] = frozenset()
    """Addresses of the reverse proxies in front of the gateway: only their X-Forwarded-For is believed."""
    hin_origin: str = ""
    """The origin of HIN's login pages; set, the login page offers HIN login and its form may lead
    there (identity holds HIN's endpoints and the client secret)."""
    hin_test_provider: bool = False
    """HIN login goes to a TEST identity provider (the demo): the login page says so."""
    operations: OperationsSettings = field(default_factory=lambda: OperationsSettings("127.0.0.1", 0, 60, 120))
    """Metrics port (never the public one), outage alert time."""
    identity_check_url: str = ""
    identity_check_phone: str = ""
    identity_check_address: str = ""
    """Where an applicant books the check of their identity (F5.3): a booking page, a phone number,
    the address of the office for a check in person; the registration's last page shows them."""
    hospital_phone: str = ""
    hospital_email: str = ""
    """Whom a physician calls or writes to for a service the requests' forms do not list (the
    hospital's switchboard): shown on those forms."""
    support_email: str = ""
    support_phone: str = ""
    support_hours: str = ""
    """The portal's support (F8): shown on the help page ("" : that line is left out)."""
    daily_summary_hour: int = DAILY_SUMMARY_HOUR
    hospital_name: str = DEMO_HOSPITAL_NAME
    hospital_logo_url: str = DEMO_HOSPITAL_LOGO
    """The hospital the portal is (its header and page titles): its name, and its logo, a path on
    this site ("" : none; the pages' CSP loads images from this site only)."""
    session_idle_seconds: int = SESSION_IDLE_SECONDS
    sms_code_ttl_seconds: int = SMS_CODE_TTL_SECONDS
    """identity's settings (the same variables), which the login pages tell."""
    """The hour (Europe/Zurich) notify sends the daily summary: the profile says it (notify's setting)."""

    @classmethod
    def from_env(cls) -> GatewaySettings:
        """Read and check every variable; a bad one stops the process with its name."""
        return cls(
            bus=BusSettings.from_env(),
            http_host=env_str("PORTAL_HTTP_HOST", "127.0.0.1"),
            http_port=_port("PORTAL_HTTP_PORT", env_int("PORTAL_HTTP_PORT", 8080)),
            public_url=_public_url("PORTAL_PUBLIC_URL", env_str("PORTAL_PUBLIC_URL", "http://127.0.0.1:8080")),
            csrf_secret=_csrf_secret("PORTAL_CSRF_SECRET", env_str("PORTAL_CSRF_SECRET")),
            environment=env_choice("PORTAL_ENV", ("dev", "test", "prod"), "prod"),
            dev_outbox_dir=_optional_path(env_str("PORTAL_DEV_OUTBOX_DIR", "")),
            log_level=env_str("LOG_LEVEL", "INFO"),
            trusted_proxies=_addresses("PORTAL_TRUSTED_PROXIES", env_str("PORTAL_TRUSTED_PROXIES", "")),
            hin_origin=_origin("PORTAL_HIN_ORIGIN", env_str("PORTAL_HIN_ORIGIN", "")),
            hin_test_provider=env_bool("PORTAL_HIN_TEST_PROVIDER", False),
            operations=OperationsSettings.from_env("gateway"),
            identity_check_url=_web_page("PORTAL_IDENTITY_CHECK_URL", env_str("PORTAL_IDENTITY_CHECK_URL", "")),
            identity_check_phone=_matching(
                "PORTAL_IDENTITY_CHECK_PHONE", env_str("PORTAL_IDENTITY_CHECK_PHONE", ""), _PHONE, "+41 22 000 00 00"
            ),
            identity_check_address=_matching(
                "PORTAL_IDENTITY_CHECK_ADDRESS",
                env_str("PORTAL_IDENTITY_CHECK_ADDRESS", ""),
                _ADDRESS,
                "Rue de l’Hôpital 1, 1205 Genève (bureau des accès)",
            ),
            hospital_phone=_matching(
                "PORTAL_HOSPITAL_PHONE", env_str("PORTAL_HOSPITAL_PHONE", ""), _PHONE, "+41 22 000 00 00"
            ),
            hospital_email=_matching(
                "PORTAL_HOSPITAL_EMAIL", env_str("PORTAL_HOSPITAL_EMAIL", ""), _EMAIL, "contact@hopital.example.ch"
            ),
            support_email=_matching(
                "PORTAL_SUPPORT_EMAIL", env_str("PORTAL_SUPPORT_EMAIL", ""), _EMAIL, "support@hopital.example.ch"
            ),
            support_phone=_matching(
                "PORTAL_SUPPORT_PHONE", env_str("PORTAL_SUPPORT_PHONE", ""), _PHONE, "+41 22 000 00 01"
            ),
            support_hours=_matching(
                "PORTAL_SUPPORT_HOURS", env_str("PORTAL_SUPPORT_HOURS", ""), _HOURS, "lundi–vendredi, 8 h–17 h"
            ),
            daily_summary_hour=env_hour("PORTAL_DAILY_SUMMARY_HOUR", DAILY_SUMMARY_HOUR),
            hospital_name=_hospital_name(env_str("PORTAL_HOSPITAL_NAME", DEMO_HOSPITAL_NAME)),
            hospital_logo_url=_site_path(
                "PORTAL_HOSPITAL_LOGO_URL", env_str("PORTAL_HOSPITAL_LOGO_URL", DEMO_HOSPITAL_LOGO)
            ),
            session_idle_seconds=env_int("PORTAL_SESSION_IDLE_SECONDS", SESSION_IDLE_SECONDS),
            sms_code_ttl_seconds=env_int("PORTAL_SMS_CODE_TTL_SECONDS", SMS_CODE_TTL_SECONDS),
        )

    def __post_init__(self) -> None:
        if self.operations.metrics_port and self.operations.metrics_port == self.http_port:
            raise SettingsError("PORTAL_METRICS_PORT", "must not be the public port PORTAL_HTTP_PORT")

    @property
    def https(self) -> bool:
        """Browsers reach the portal over TLS (possibly ended by a proxy in front of us)."""
        return URL(self.public_url).scheme == "https"

    @property
    def public_origin(self) -> str:
        """The origin browsers send in the Origin header of our own forms."""
        return str(URL(self.public_url).origin())

    @property
    def hin_login(self) -> bool:
        return bool(self.hin_origin)

    @property
    def dev_outbox_enabled(self) -> bool:
        return self.environment == "dev"


def _addresses(name: str, value: str) -> frozenset[str]:
    addresses = frozenset(part.strip() for part in value.split(",") if part.strip())
    for address in addresses:
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise SettingsError(name, f"holds {address!r}, not an IP address") from None
    return addresses


def _origin(name: str, value: str) -> str:
    if not value:
        return ""
    url = URL(value)
    if url.scheme not in ("http", "https") or not url.host or str(url.origin()) != value.rstrip("/"):
        raise SettingsError(name, "must be an origin: scheme, host and port only (https://login.example.ch)")
    return str(url.origin())


_PHONE = re.compile(r"\+?[0-9][0-9 ./()-]{4,29}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s.]{2,63}")
_HOURS = re.compile(r".{1,120}")


_ADDRESS = re.compile(r"[^\x00-\x1f\x7f]{3,200}")


def _web_page(name: str, value: str) -> str:
    if not value:
        return ""
    url = URL(value)
    if url.scheme not in ("http", "https") or not url.host:
        raise SettingsError(name, "must be empty or an http:// or https:// URL with a host")
    return value


_HOSPITAL_NAME_MAX = 120


def _hospital_name(value: str) -> str:
    name = " ".join(value.split())
    if not 0 < len(name) <= _HOSPITAL_NAME_MAX:
        raise SettingsError("PORTAL_HOSPITAL_NAME", f"must be a name of 1 to {_HOSPITAL_NAME_MAX} characters")
    return name


def _site_path(name: str, value: str) -> str:
    if value and (not value.startswith("/") or value.startswith("//") or "\\" in value or not value.isprintable()):
        raise SettingsError(name, "must be empty or a path on this site, such as /static/hospital-logo.svg")
    return value


def _matching(name: str, value: str, pattern: re.Pattern[str], example: str) -> str:
    if value and not pattern.fullmatch(value):
        raise SettingsError(name, f"must be empty or written like {example}")
    return value


def _port(name: str, value: int) -> int:
    if not 1 <= value <= 65535:
        raise SettingsError(name, "must be a TCP port between 1 and 65535")
    return value


def _public_url(name: str, value: str) -> str:
    url = URL(value)
    if url.scheme not in ("http", "https") or not url.host:
        raise SettingsError(name, "must be an http:// or https:// URL with a host")
    # Normalised (lower-case scheme and host) so that prefix checks and origins compare exactly.
    return str(url).rstrip("/")


def _csrf_secret(name: str, value: str) -> str:
    if len(value) < CSRF_SECRET_MIN_LENGTH:
        raise SettingsError(name, f"must be at least {CSRF_SECRET_MIN_LENGTH} characters")
    return value


def _optional_path(value: str) -> Path | None:
    return Path(value) if value else None
