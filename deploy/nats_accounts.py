"""Who may say what on NATS: one user per process, allowed only its own subjects.

The same table generates the dev and test server configuration and documents what
production credentials must allow. A compromised process cannot publish as another.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from common.contracts.audit import ALARM as AUDIT_ALARM
from common.contracts.audit import CHECKPOINT as AUDIT_CHECKPOINT
from common.contracts.identity import SESSIONS_ENDED
from common.contracts.requests import ANSWER_ARRIVED

SERVICES = ("identity", "documents", "requests", "notify", "audit")
PROCESSES = ("gateway", *SERVICES)
USERS = (*PROCESSES, "hospital", "ops")


def _js_stream(stream: str, *, manage: bool = False) -> list[str]:
    """JetStream API subjects to use (and, when `manage`, create or update) a stream and its consumers."""
    subjects = [
        f"$JS.API.STREAM.INFO.{stream}",
        f"$JS.API.CONSUMER.CREATE.{stream}",
        f"$JS.API.CONSUMER.CREATE.{stream}.>",
        f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.>",
        f"$JS.API.CONSUMER.INFO.{stream}.>",
        f"$JS.API.CONSUMER.MSG.NEXT.{stream}.>",
        f"$JS.ACK.{stream}.>",
    ]
    if manage:
        subjects += [f"$JS.API.STREAM.CREATE.{stream}", f"$JS.API.STREAM.UPDATE.{stream}"]
    return subjects


DURABLE_CONSUMERS: dict[tuple[str, str], str] = {
    ("DPI", "documents"): "documents",
    ("DPI", "requests"): "requests",
    ("AUDIT", "audit"): "audit",
    ("PORTAL", "notify-delivered"): "notify",
    ("REQUESTS", "notify-answered"): "notify",
    ("NOTIFY", "notify-commands"): "notify",
}
"""The portal's durable consumers, (stream, name) -> the user that owns it: no one else may fetch
from, acknowledge, create or change it (a deny rule, generated below, wins over any allow)."""

OBSERVERS = ("ops",)
"""May read the state of any consumer (not use it): the others may not even do that of another's."""


@dataclass(frozen=True)
class Bucket:
    """A JetStream Object Store (or key-value) bucket and who may touch it: its owner creates and
    reads it; its writers only put objects in it (and replace them); its readers only read them
    (pull consumers of their own, and descriptions). A writer may not consume from
    it: a push consumer's deliver subject is not checked against its creator's permissions, so a
    consumer on the bytes it put would let it publish them on any subject, another party's
    requests included (nats-server issue 8274)."""

    name: str
    owner: str
    writers: tuple[str, ...] = ()
    readers: tuple[str, ...] = ()
    kind: Literal["object", "kv"] = "object"

    @property
    def stream(self) -> str:
        return ("OBJ_" if self.kind == "object" else "KV_") + self.name

    @property
    def subjects(self) -> str:
        """What its objects (or keys) are stored under."""
        return ("$O." if self.kind == "object" else "$KV.") + self.name + ".>"

    def reading(self) -> list[str]:
        """What reading an object's description (before putting or reading it) takes."""
        return [f"$JS.API.STREAM.MSG.GET.{self.stream}", f"$JS.API.DIRECT.GET.{self.stream}.>"]

    def permissions(self, user: str) -> list[str]:
        """The user's publish permissions on the bucket: none unless its owner, a writer or a reader."""
        granted: list[str] = []
        if user == self.owner:
            granted += [*_js_stream(self.stream, manage=True), *self.reading()]
        elif user in self.readers:
            # nats-py's ObjectStore.get finds the bucket's stream by its subject (STREAM.NAMES).
            granted += [*_js_stream(self.stream), *self.reading(), "$JS.API.STREAM.NAMES"]
        if user in self.writers:
            granted += [
                f"$JS.API.STREAM.INFO.{self.stream}",
                self.subjects,
                *self.reading(),
                f"$JS.API.STREAM.PURGE.{self.stream}",  # a replaced object's chunks
            ]
        return list(dict.fromkeys(granted))


BUCKETS = (
    Bucket("dpi-documents", owner="documents", writers=("hospital",), readers=("requests",)),
    Bucket("portal-attachments", owner="requests", writers=("requests",), readers=("hospital",)),
)
"""Every bucket of the portal (CONTRACT.md): `dpi-documents` holds the hospital's contents over
512 KiB, which documents reads, and the files of its answers to requests, which requests reads;
`portal-attachments` holds the files over 512 KiB the portal sends with requests and messages,
which the hospital reads."""


def _buckets(user: str) -> list[str]:
    return [subject for bucket in BUCKETS for subject in bucket.permissions(user)]


DISCOVERY = ("$SRV.PING", "$SRV.INFO", "$SRV.STATS")
"""What nats micro services answer about themselves, all together or each by name (and id)."""


def _service(name: str, publish: list[str]) -> dict[str, list[str]]:
    return {
        "publish": ["$JS.API.INFO", f"audit.record.{name}", *publish],
        # Discovery: the questions to every service, and those to this one (not the others'). Not
        # `$SRV.*`: nats-server takes a subscription to `$SRV.>` as one of its subjects.
        "subscribe": [f"_INBOX.{name}.>", f"{name}.>", *DISCOVERY, f"$SRV.*.{name}", f"$SRV.*.{name}.>"],
    }


PERMISSIONS: dict[str, dict[str, list[str]]] = {
    "gateway": {
        "publish": [
            "identity.api.>",
            "documents.api.>",
            "requests.api.>",
            "audit.api.>",
            "notify.api.>",  # the notification log
            "audit.record.gateway",
        ],
        "subscribe": ["_INBOX.gateway.>", "documents.events.>", SESSIONS_ENDED.subject, ANSWER_ARRIVED.subject],
    },
    "identity": _service("identity", ["notify.command.>", SESSIONS_ENDED.subject]),
    "documents": _service(
        "documents",
        [
            "identity.svc.physician.>",
            "identity.health",  # waits for identity before consuming
            "documents.events.>",
            "portal.documents.>",
            "portal.rejected",
            *_js_stream("DPI", manage=True),
            *_js_stream("PORTAL", manage=True),
            *_buckets("documents"),
        ],
    ),
    "requests": _service(
        "requests",
        [
            "identity.svc.contact",
            "documents.svc.patient",  # is the patient a physician chose theirs?
            "portal.requests.>",
            "portal.rejected",
            ANSWER_ARRIVED.subject,  # its own events, for the gateways and notify (REQUESTS stream)
            *_js_stream("DPI", manage=True),
            *_js_stream("REQUESTS", manage=True),
            *_buckets("requests"),
        ],
    ),
    "notify": _service(
        "notify",
        [
            "identity.svc.contact",
            "identity.health",
            *_js_stream("PORTAL"),
            *_js_stream("REQUESTS"),
            *_js_stream("NOTIFY", manage=True),
        ],
    ),
    "audit": _service(
        "audit",
        [
            "portal.audit",
            AUDIT_CHECKPOINT,  # the chain's head, signed (through its outbox, PORTAL stream)
            AUDIT_ALARM,  # the chain found broken (for the hospital and operations)
            *_js_stream("AUDIT", manage=True),
        ],
    ),
    # The hospital publishes on dpi.* and reads what the portal publishes; it must use the
    # inbox prefix `_INBOX.hospital` (nats-py: connect(inbox_prefix="_INBOX.hospital")).
    "hospital": {
        "publish": [
            "dpi.>",
            "$JS.API.INFO",
            *_js_stream("DPI")[:1],
            *_js_stream("PORTAL"),
            *_buckets("hospital"),
        ],
        "subscribe": ["_INBOX.hospital.>", "portal.>"],
    },
    # Operations: discover services, their stats and health; list streams and consumers, read their state.
    "ops": {
        "publish": [
            "$SRV.>",
            "*.health",
            "$JS.API.INFO",
            "$JS.API.STREAM.LIST",
            "$JS.API.STREAM.INFO.>",
            "$JS.API.CONSUMER.LIST.*",
            "$JS.API.CONSUMER.INFO.>",
        ],
        "subscribe": ["_INBOX.ops.>", AUDIT_ALARM],
    },
}


@dataclass(frozen=True)
class NatsCredentials:
    """The password of each NATS user (dev and test: generated and kept under var/)."""

    passwords: dict[str, str] = field(default_factory=dict)

    @classmethod
    def generate(cls) -> NatsCredentials:
        return cls({user: secrets.token_urlsafe(24) for user in USERS})

    @classmethod
    def load_or_create(cls, path: Path) -> NatsCredentials:
        if path.exists():
            return cls(json.loads(path.read_text()))
        credentials = cls.generate()
        path.write_text(json.dumps(credentials.passwords, indent=2))
        path.chmod(0o600)
        return credentials


def consumer_subjects(stream: str, durable: str) -> list[str]:
    """What using one durable consumer takes: creating or changing it, fetching, acknowledging."""
    return [
        f"$JS.API.CONSUMER.CREATE.{stream}.{durable}",
        f"$JS.API.CONSUMER.CREATE.{stream}.{durable}.>",
        f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.{durable}",
        f"$JS.API.CONSUMER.DELETE.{stream}.{durable}",
        f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}",
        f"$JS.ACK.{stream}.{durable}.>",
    ]


def denied(user: str) -> list[str]:
    """Another party's consumers, whatever the user's stream permissions allow: using them, and
    reading their state unless the user is an observer."""
    return [
        subject
        for (stream, durable), owner in DURABLE_CONSUMERS.items()
        if owner != user
        for subject in [
            *consumer_subjects(stream, durable),
            *([] if user in OBSERVERS else [f"$JS.API.CONSUMER.INFO.{stream}.{durable}"]),
        ]
    ]


def _quoted(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(item) for item in items) + "]"


def authorization_block(passwords: dict[str, str]) -> str:
    """The `authorization` section: each user, its password (or a `$VARIABLE`), its permissions."""
    users = []
    for user in USERS:
        rules = PERMISSIONS[user]
        password = passwords[user]
        password_value = password if password.startswith("$") else json.dumps(password)
        users.append(
            f"    {{user: {json.dumps(user)}, password: {password_value}, permissions: "
            f"{{publish: {{allow: {_quoted(rules['publish'])}, deny: {_quoted(denied(user))}}}, "
            f"subscribe: {{allow: {_quoted(rules['subscribe'])}}}, "
            "allow_responses: true}}"
        )
    return "authorization {\n  users = [\n" + ",\n".join(users) + "\n  ]\n}\n"


@dataclass(frozen=True)
class ClusterNode:
    """One node of a JetStream cluster on loopback (the drills' 3-node cluster)."""

    name: str
    cluster_port: int
    routes: tuple[int, ...]  # every node's cluster port, this one's included


def server_config(
    credentials: NatsCredentials,
    *,
    port: int,
    store_dir: Path,
    http_port: int | None = None,
    cluster: ClusterNode | None = None,
) -> str:
    """A dev/test nats-server with JetStream and one user per process (optionally one node of a cluster).

    `sync_interval: always`, as in production: a message JetStream acknowledged is on disk, so a
    nats-server killed right after the ack loses nothing.
    """
    monitoring = f"http_port: {http_port}\n" if http_port else ""
    clustering = ""
    if cluster is not None:
        routes = ", ".join(f'"nats-route://127.0.0.1:{route}"' for route in cluster.routes)
        clustering = (
            f"server_name: {json.dumps(cluster.name)}\n"
            f"cluster {{ name: portal, listen: 127.0.0.1:{cluster.cluster_port}, routes: [{routes}] }}\n"
        )
    return (
        f"listen: 127.0.0.1:{port}\n"
        f"{monitoring}"
        f"{clustering}"
        f"jetstream {{ store_dir: {json.dumps(str(store_dir))}, sync_interval: always }}\n"
        + authorization_block(credentials.passwords)
    )


def main() -> None:
    """`python -m deploy.nats_accounts`: print the production authorization block.

    Passwords are read by nats-server from its environment (`$NATS_PASSWORD_GATEWAY`, ...), so the
    file holds no secret; see deploy/production/README.md.
    """
    print(authorization_block({user: f"$NATS_PASSWORD_{user.upper()}" for user in USERS}), end="")


if __name__ == "__main__":
    main()
