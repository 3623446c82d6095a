"""The TEST identity provider standing in for HIN in the tests and the demo (`make run`).

It is the npm package oidc-provider (deploy/hin_test_idp/), an independent OpenID Connect
implementation run with the machine's Node.js, installed by `npm ci` from the committed lock
file the first time it is needed. Its login form takes any password for the identities listed
in its accounts file; each identity carries what HIN's carry: the HIN id (the login), the GLN
and whether it is a personal identity or a practice's shared one.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .hospital_sim import DEMO_GLN

PROJECT = Path(__file__).resolve().parent / "hin_test_idp"
CLIENT_ID = "portal"
SCOPE = "openid profile email hin"

# Logins of the demo's identities (any password): one linked to the demo SMS account by its
# GLN, one new physician, and one practice identity the portal refuses.
DEMO_IDENTITIES: dict[str, dict[str, str]] = {
    "cfavre": {
        "given_name": "Claire",
        "family_name": "Favre",
        "email": "claire.favre@cabinet.example.ch",
        "gln": DEMO_GLN,
        "hin_identity_type": "personal",
    },
    "amuster": {
        "given_name": "Anna",
        "family_name": "Muster",
        "email": "anna.muster@praxis.example.ch",
        "gln": "7601000000101",
        "hin_identity_type": "personal",
    },
    "praxis-plainpalais": {
        "given_name": "Cabinet",
        "family_name": "Plainpalais",
        "email": "accueil@plainpalais.example.ch",
        "gln": "7601000000200",
        "hin_identity_type": "practice",
    },
}


class NodeMissing(RuntimeError):
    """Node.js or npm is not installed: the test identity provider cannot run."""


def ensure_installed() -> Path:
    """`npm ci` once (and again when the lock file changes); several callers at once wait in turn."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        raise NodeMissing("the test identity provider needs Node.js and npm (Debian packages nodejs and npm)")
    installed = PROJECT / "node_modules" / ".package-lock.json"
    with open(PROJECT / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not installed.exists() or installed.stat().st_mtime < (PROJECT / "package-lock.json").stat().st_mtime:
            subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=PROJECT,
                check=True,
                stdout=subprocess.DEVNULL,
            )
    return Path(node)


@dataclass(frozen=True)
class TestIdentityProvider:
    """One provider on 127.0.0.1:`port` with one client, the portal."""

    __test__ = False  # not a pytest class

    port: int
    accounts_file: Path
    client_secret: str
    redirect_uri: str

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        return {
            "IDP_PORT": str(self.port),
            "IDP_ISSUER": self.issuer,
            "IDP_ACCOUNTS": str(self.accounts_file),
            "IDP_CLIENT_ID": CLIENT_ID,
            "IDP_CLIENT_SECRET": self.client_secret,
            "IDP_REDIRECT_URI": self.redirect_uri,
        }

    def portal_settings(self) -> dict[str, str]:
        """What identity needs to send physicians to this provider (oidc-provider's endpoint paths)."""
        return {
            "PORTAL_HIN_AUTHORIZE_URL": f"{self.issuer}/auth",
            "PORTAL_HIN_TOKEN_URL": f"{self.issuer}/token",
            "PORTAL_HIN_USERINFO_URL": f"{self.issuer}/me",
            "PORTAL_HIN_CLIENT_ID": CLIENT_ID,
            "PORTAL_HIN_CLIENT_SECRET": self.client_secret,
            "PORTAL_HIN_REDIRECT_URI": self.redirect_uri,
            "PORTAL_HIN_SCOPE": SCOPE,
        }

    def write_identities(self, identities: dict[str, dict[str, str]]) -> None:
        """Replace the provider's identities (it reads the file at each login)."""
        temporary = self.accounts_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(identities, indent=2))
        temporary.replace(self.accounts_file)

    def add_identity(self, login: str, claims: dict[str, str]) -> None:
        identities = json.loads(self.accounts_file.read_text())
        self.write_identities({**identities, login: claims})
