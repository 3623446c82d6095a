"""The secrets of a dev or test stack: generated once per var/ directory and kept there (mode 600)."""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from common.envelopes import new_key_pair
from common.tokens import generate_key_pair

from .nats_accounts import SERVICES, NatsCredentials


@dataclass
class Secrets:
    """Everything generated once per var/ directory and kept there (mode 600)."""

    nats: NatsCredentials
    database_passwords: dict[str, str]
    csrf_secret: str
    sms_auth_token: str
    hin_client_secret: str
    master_key: str
    identity_data_key: str
    notify_private_key: str
    notify_public_key: str
    signing_key: Path
    public_key: Path
    assertion_key: Path
    audit_checkpoint_key: Path
    audit_checkpoint_public_key: Path

    @classmethod
    def load_or_create(cls, directory: Path, nats_credentials_file: Path | None) -> Secrets:
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o700)
        nats_file = nats_credentials_file or directory / "nats-users.json"
        other = directory / "secrets.json"
        if other.exists():
            values = json.loads(other.read_text())
        else:
            values = {
                "database": {service: secrets.token_urlsafe(24) for service in SERVICES},
                "csrf_secret": secrets.token_urlsafe(48),
                "sms_auth_token": secrets.token_hex(16),
            }
        values.setdefault("hin_client_secret", secrets.token_urlsafe(32))
        if "notify_private_key" not in values:
            values["notify_private_key"], values["notify_public_key"] = new_key_pair()
        for key in ("master_key", "identity_data_key"):
            if key not in values:
                values[key] = base64.b64encode(secrets.token_bytes(32)).decode()
        other.write_text(json.dumps(values, indent=2))
        other.chmod(0o600)
        signing_key, public_key = directory / "token-signing.pem", directory / "token-public.pem"
        if not signing_key.exists():
            generate_key_pair(signing_key, public_key)
        assertion_key = directory / "assertion-signing.pem"
        if not assertion_key.exists():
            generate_key_pair(assertion_key, directory / "assertion-public.pem")
        # Signs the audit chain's checkpoints; the hospital verifies them with its public half.
        audit_checkpoint_key = directory / "audit-checkpoint-signing.pem"
        audit_checkpoint_public_key = directory / "audit-checkpoint-public.pem"
        if not audit_checkpoint_key.exists():
            generate_key_pair(audit_checkpoint_key, audit_checkpoint_public_key)
        return cls(
            nats=NatsCredentials.load_or_create(nats_file),
            database_passwords=values["database"],
            csrf_secret=values["csrf_secret"],
            sms_auth_token=values["sms_auth_token"],
            hin_client_secret=values["hin_client_secret"],
            master_key=values["master_key"],
            identity_data_key=values["identity_data_key"],
            notify_private_key=values["notify_private_key"],
            notify_public_key=values["notify_public_key"],
            signing_key=signing_key,
            public_key=public_key,
            assertion_key=assertion_key,
            audit_checkpoint_key=audit_checkpoint_key,
            audit_checkpoint_public_key=audit_checkpoint_public_key,
        )
