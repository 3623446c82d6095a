"""`make run`: the whole portal on this machine, with demo data, until Ctrl-C.

Data, logs, secrets and the dev outbox live under ./var/ and survive restarts.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import time
from pathlib import Path

from common import event_loop

from .demo import (
    ADMIN_LOGIN,
    ADMIN_PASSWORD,
    DEMO_LOGIN,
    DEMO_PASSWORD,
    STAFF_LOGIN,
    STAFF_PASSWORD,
    ensure_demo_applications,
    ensure_demo_physician,
    ensure_demo_staff,
)
from .hospital_sim import DEMO_GLN, publish_demo, publish_demo_services
from .stack import REPO, Stack, StackConfig
from .supervisor import Supervisor
from .test_identity_provider import DEMO_IDENTITIES


def _config() -> StackConfig:
    return StackConfig(
        var_dir=Path(os.environ.get("PORTAL_VAR_DIR", REPO / "var")),
        environment="dev",
        http_port=int(os.environ.get("PORTAL_HTTP_PORT", "8080")),
        nats_port=int(os.environ.get("PORTAL_NATS_PORT", "4222")),
        smtp_port=int(os.environ.get("DEV_SMTP_PORT", "8025")),
        sms_port=int(os.environ.get("DEV_SMS_PORT", "8026")),
        log_level=os.environ.get("LOG_LEVEL", "INFO"),
        hin_test_idp_port=_hin_test_idp_port(),
        partner_app_port=int(os.environ.get("PORTAL_PARTNER_APP_PORT", "8028")),
        fixed_metrics_ports=True,
    )


def _hin_test_idp_port() -> int | None:
    """The demo's HIN login goes to a TEST identity provider (needs Node.js; off: PORTAL_HIN_TEST_IDP=off)."""
    if os.environ.get("PORTAL_HIN_TEST_IDP", "on") == "off":
        return None
    if not shutil.which("node") or not shutil.which("npm"):
        print("Node.js not found: the demo runs without HIN login (its test identity provider needs node and npm)")
        return None
    return int(os.environ.get("PORTAL_HIN_TEST_IDP_PORT", "8027"))


async def run() -> None:
    stack = Stack(_config())
    stop = event_loop.stop_on_signals()
    supervisor = Supervisor(stack, report=_say)
    watching: asyncio.Task[None] | None = None
    try:
        print("starting PostgreSQL and NATS…", flush=True)
        await stack.start_infrastructure()
        stack.write_env_files()
        print("starting the services and the gateway…", flush=True)
        await stack.start_all()
        # From here on a process that exits is started again (its log says why it stopped).
        watching = asyncio.create_task(supervisor.run())
        await seed_demo(stack)
        _print_welcome(stack)
        await stop.wait()
    finally:
        print("\nstopping…", flush=True)
        if watching is not None:
            watching.cancel()
            await asyncio.gather(watching, return_exceptions=True)
        stack.stop_all()
        print("stopped; data kept in", stack.config.var_dir, flush=True)


async def seed_demo(stack: Stack) -> None:
    """The demo's accounts, documents, applications and services, unless they exist (also
    `make screenshots`)."""
    if await ensure_demo_physician(stack.service_dsns["identity"]):
        hospital = await stack.connect_nats("hospital")
        try:
            await publish_demo(hospital.jetstream(), DEMO_GLN, 3)
        finally:
            await hospital.close()
    await ensure_demo_applications(stack.service_dsns["identity"], stack.partner_app_url)
    hospital = await stack.connect_nats("hospital")
    try:
        await publish_demo_services(hospital.jetstream())
    finally:
        await hospital.close()
    await ensure_demo_staff(stack.service_dsns["identity"], stack.service_dsns["requests"])


def _say(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} supervisor: {line}", flush=True)


def _print_welcome(stack: Stack) -> None:
    cfg = stack.config
    print(
        f"""
The portal is running.

  Web:              {cfg.public_url}
  Demo physician:   login "{DEMO_LOGIN}", password "{DEMO_PASSWORD}"
                    (the SMS code arrives in the dev outbox: {cfg.public_url}/dev/outbox)
  Demo admin:       login "{ADMIN_LOGIN}", password "{ADMIN_PASSWORD}" (undelivered documents);
  Demo staff:       login "{STAFF_LOGIN}", password "{STAFF_PASSWORD}" (the inboxes of Cardiologie
                    and Oncologie digestive: the demo physician's requests arrive there);
                    staff log in with an authenticator app (TOTP), enrolled by QR code at the
                    first login: any app will do, or: oathtool --totp -b <the key shown>
  Applications:     a stand-in for the partner applications checks the identity assertions
                    ({stack.partner_app_url}); "Dépistage du cancer" needs the admin's grant
{_hin_welcome(stack)}  NATS:             {stack.nats_url}
  Hospital's NATS:  user "hospital", password in {cfg.var_dir / "secrets" / "nats-users.json"}
                    (use inbox prefix "_INBOX.hospital"); try: python -m deploy.hospital_sim
  Logs:             {stack.log_dir}/ (a process that stops is restarted; this window says so)
  Metrics:          Prometheus at http://127.0.0.1:9100/metrics (gateway), 9101-9105 (identity,
                    documents, requests, notify, audit); /livez and /readyz on the same ports
  More copies:      set -a; . {cfg.var_dir / "env" / "documents.env"}; set +a
                    PORTAL_METRICS_PORT=0 .venv/bin/python -m services.documents

Press Ctrl-C to stop.""",
        flush=True,
    )


def _hin_welcome(stack: Stack) -> str:
    if stack.hin_idp is None:
        return ""
    logins = ", ".join(f'"{login}" ({claims["hin_identity_type"]})' for login, claims in DEMO_IDENTITIES.items())
    return (
        f"  HIN login:        a TEST identity provider stands in for HIN ({stack.hin_idp.issuer}):\n"
        f"                    «Se connecter avec HIN» on the login page, then any password for\n"
        f"                    {logins}\n"
    )


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run())


if __name__ == "__main__":
    main()
