"""What a dev or test stack is made of: its directory, ports, database, and the stand-ins it starts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StackConfig:
    var_dir: Path
    environment: str = "dev"
    http_port: int = 8080
    nats_port: int = 4222
    smtp_port: int = 8025
    sms_port: int = 8026
    database: str = "portal"
    admin_database_url: str | None = None  # an external PostgreSQL; else embedded under var_dir
    nats_url: str | None = None  # an external NATS; its users come from nats_credentials_file
    nats_credentials_file: Path | None = None
    log_level: str = "INFO"
    ephemeral: bool = False  # tests: delete the embedded database when done
    pending_sweep_seconds: int = 60
    housekeeping_seconds: int = 600  # identity forgets expired throttles and attempts this often
    audit_checkpoint_seconds: int = 300  # the audit chain's head signed and published this often
    audit_verify_seconds: int = 3600  # the whole audit chain checked this often
    hin_test_idp_port: int | None = None  # a TEST identity provider standing in for HIN (never in production)
    partner_app_port: int | None = None  # a stand-in for the catalogue's secure applications (demo, tests)
    nats_nodes: int = 1  # 3: a JetStream cluster on loopback, streams with 3 replicas (a drill)
    fixed_metrics_ports: bool = False  # make run: METRICS_PORTS; else free ports, chosen per process
    outage_alert_seconds: int | None = None  # PORTAL_OUTAGE_ALERT_SECONDS for every process (else theirs)
    trusted_proxies: str = ""  # the gateway's PORTAL_TRUSTED_PROXIES

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"
