"""The environment of each process of a dev or test stack: what production's env files set
(deploy/production/env/), with the stack's own ports, keys and stand-ins."""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from common.settings import METRICS_PORTS

from .nats_accounts import SERVICES

if TYPE_CHECKING:
    from .stack import Stack

SMS_ACCOUNT_SID = "AC" + "0" * 32
SUPPORT = {  # the demo portal's support (the help page; the contact form's messages go to its address)
    "PORTAL_SUPPORT_EMAIL": "support@portail.example.ch",
    "PORTAL_SUPPORT_PHONE": "+41 22 000 00 01",
    "PORTAL_SUPPORT_HOURS": "lundi–vendredi, 8 h–17 h",
}


def process_environment(stack: Stack, process: str) -> dict[str, str]:
    """The environment variables of one process of the portal."""
    assert stack.secrets is not None
    cfg, sec = stack.config, stack.secrets
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONUNBUFFERED": "1",
        "PORTAL_ENV": cfg.environment,
        "LOG_LEVEL": cfg.log_level,
        "NATS_URL": stack.nats_url,
    }
    sms = {"SMS_ACCOUNT_SID": SMS_ACCOUNT_SID, "SMS_AUTH_TOKEN": sec.sms_auth_token}
    if process in METRICS_PORTS:
        env["PORTAL_METRICS_PORT"] = str(stack.metrics_port(process))
    if cfg.outage_alert_seconds is not None:
        env["PORTAL_OUTAGE_ALERT_SECONDS"] = str(cfg.outage_alert_seconds)
    if cfg.nats_nodes > 1:
        env["NATS_STREAM_REPLICAS"] = "3"
    if process in sec.nats.passwords:
        env |= {"NATS_USER": process, "NATS_PASSWORD": sec.nats.passwords[process]}
    if process in SERVICES:
        env["DATABASE_URL"] = stack.service_dsns[process]
        env["PORTAL_TOKEN_PUBLIC_KEY"] = str(sec.public_key)
    if process in ("documents", "requests"):  # both keep contents sealed (common/sealed)
        env |= {"PORTAL_MASTER_KEYS": f"k1:{sec.master_key}", "PORTAL_MASTER_KEY_ID": "k1"}
    if process == "documents":
        env["PORTAL_PENDING_SWEEP_SECONDS"] = str(cfg.pending_sweep_seconds)
    if process == "audit":
        env["PORTAL_AUDIT_CHECKPOINT_KEY"] = str(sec.audit_checkpoint_key)
        env["PORTAL_AUDIT_CHECKPOINT_SECONDS"] = str(cfg.audit_checkpoint_seconds)
        env["PORTAL_AUDIT_VERIFY_SECONDS"] = str(cfg.audit_verify_seconds)
    if process == "identity":
        env["PORTAL_TOKEN_SIGNING_KEY"] = str(sec.signing_key)
        env["PORTAL_ASSERTION_SIGNING_KEY"] = str(sec.assertion_key)
        env["PORTAL_HOUSEKEEPING_SECONDS"] = str(cfg.housekeeping_seconds)
        env["PORTAL_IDENTITY_DATA_KEY"] = sec.identity_data_key
        env["PORTAL_NOTIFY_PUBLIC_KEY"] = sec.notify_public_key
        env["PORTAL_PUBLIC_URL"] = cfg.public_url
        env["PORTAL_SUPPORT_EMAIL"] = SUPPORT["PORTAL_SUPPORT_EMAIL"]
        if stack.hin_idp is not None:
            env |= stack.hin_idp.portal_settings()
    if process == "notify":
        env |= sms | {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(cfg.smtp_port),
            "SMS_API_URL": f"http://127.0.0.1:{cfg.sms_port}",
            "SMS_FROM": "+41790000000",
            "PORTAL_PUBLIC_URL": cfg.public_url,
            "PORTAL_MAIL_FROM": "Portail HUG <portail@localhost>",
            "PORTAL_NOTIFY_PRIVATE_KEY": sec.notify_private_key,
            # The dev outbox takes a Message-ID or an idempotency token twice as once.
            "PORTAL_SMTP_IDEMPOTENT": "true",
            "PORTAL_SMS_IDEMPOTENT": "true",
        }
    if process == "gateway":
        env |= {
            "PORTAL_HTTP_PORT": str(cfg.http_port),
            "PORTAL_PUBLIC_URL": cfg.public_url,
            "PORTAL_CSRF_SECRET": sec.csrf_secret,
            "PORTAL_DEV_OUTBOX_DIR": str(stack.outbox_dir),
            "PORTAL_TRUSTED_PROXIES": cfg.trusted_proxies,
            # The demo hospital's switchboard, for a service the requests' forms do not list.
            "PORTAL_HOSPITAL_PHONE": "+41 22 000 00 00",
            "PORTAL_HOSPITAL_EMAIL": "contact@hopital.example.ch",
            # Where the demo's applicants book the check of their identity.
            "PORTAL_IDENTITY_CHECK_URL": "https://rendez-vous.hopital.example.ch/identite",
            "PORTAL_IDENTITY_CHECK_PHONE": "+41 22 000 00 01",
            "PORTAL_IDENTITY_CHECK_ADDRESS": "Rue de l’Hôpital 1, 1205 Genève (bureau des accès, 8 h – 17 h)",
        } | SUPPORT
        if stack.hin_idp is not None:
            env |= {"PORTAL_HIN_ORIGIN": stack.hin_idp.issuer, "PORTAL_HIN_TEST_PROVIDER": "true"}
    if process == "outbox":
        env |= sms | {
            "DEV_OUTBOX_DIR": str(stack.outbox_dir),
            "DEV_SMTP_PORT": str(cfg.smtp_port),
            "DEV_SMS_PORT": str(cfg.sms_port),
        }
    return env


def write_env_files(stack: Stack, processes: Iterable[str]) -> Path:
    """Write each process's environment to var/env/<process>.env (mode 600), to start more copies by hand."""
    directory = stack.config.var_dir / "env"
    directory.mkdir(exist_ok=True)
    directory.chmod(0o700)
    for process in processes:
        path = directory / f"{process}.env"
        lines = [f"{name}={shlex.quote(value)}" for name, value in process_environment(stack, process).items()]
        path.write_text("\n".join(line for line in lines if not line.startswith("PATH=")) + "\n")
        path.chmod(0o600)
    return directory
