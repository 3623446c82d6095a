"""Test helpers that act as the outside world: the hospital, physicians, the dev outbox."""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import random
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, overload

import aiohttp
import asyncpg
import nats.errors
import pyotp
from nats.aio.client import Client as NATS
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel
from stdnum import ean

from common.bus import call
from common.contracts import documents, identity
from common.contracts.base import Endpoint, Rep, Req, SignedEndpoint
from common.errors import Unauthenticated
from deploy import hospital_sim
from deploy.stack import Stack
from services.identity.accounts import create_account
from services.identity.codes import code_mac
from services.identity.passwords import Passwords
from services.identity.store import digest

from . import leaks

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


async def eventually(check: Callable[[], Awaitable[T | None]], timeout: float = 15.0, what: str = "condition") -> T:
    """Poll `check` until it returns something other than None, or fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout} s")
        await asyncio.sleep(0.05)


def random_gln() -> str:
    body = "760" + "".join(random.choice("0123456789") for _ in range(9))
    return body + ean.calc_check_digit(body)


def random_mobile() -> str:
    return "+4179" + "".join(random.choice("0123456789") for _ in range(7))


class PortalEvents:
    """Collects what the portal publishes for the hospital, read from the PORTAL stream as the hospital would."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self._task: asyncio.Task[None] | None = None

    async def follow(self, js: JetStreamContext) -> None:
        subscription = await js.pull_subscribe(
            "portal.>", stream="PORTAL", config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW)
        )

        async def pull() -> None:
            while True:
                try:
                    batch = await subscription.fetch(256, timeout=0.5)
                except (TimeoutError, NatsTimeout):
                    continue
                except nats.errors.Error:  # a loaded machine: keep following, never die silently
                    await asyncio.sleep(0.1)
                    continue
                for msg in batch:
                    self.messages.append((msg.subject, json.loads(msg.data)))
                    await msg.ack()

        self._task = asyncio.create_task(pull())

    async def stop(self) -> None:
        """Stop following. nats-py's `fetch` may hold a cancellation until a message comes (its
        inner wait has no deadline then): give it two seconds, then leave it to the connection's
        close, which ends it."""
        if self._task:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=2.0)

    def matching(self, subject: str, **fields: Any) -> list[dict[str, Any]]:
        return [
            body
            for got_subject, body in self.messages
            if got_subject == subject and all(body.get(key) == value for key, value in fields.items())
        ]

    async def wait_for(self, subject: str, timeout: float = 15.0, **fields: Any) -> dict[str, Any]:
        async def found() -> dict[str, Any] | None:
            if self._task is not None and self._task.done():
                self._task.result()  # raise what stopped the follower rather than time out
                raise AssertionError("stopped following the PORTAL stream")
            matches = self.matching(subject, **fields)
            return matches[0] if matches else None

        return await eventually(found, timeout, f"{subject} with {fields}")


@dataclass
class Episode:
    """A patient's episode at the hospital, with helpers to publish about it."""

    hospital: Hospital
    id: str = field(default_factory=lambda: f"EP-{uuid.uuid4().hex[:12]}")
    patient: dict[str, Any] = field(
        default_factory=lambda: hospital_sim.patient("Rochat", "Élodie", "1979-07-23", "female")
    )

    async def designate(self, gln: str, **options: Any) -> dict[str, Any]:
        message = hospital_sim.designation(self.id, self.patient, {"gln": gln}, **options)
        await self.hospital.publish("dpi.designations", message)
        return message

    async def document(
        self, content: bytes | None = None, object_content: dict[str, Any] | None = None, **options: Any
    ) -> dict[str, Any]:
        """Publish a document of the episode; `object_content` replaces the inline content by an Object Store one."""
        content = content if content is not None else hospital_sim.make_pdf("Lettre de sortie", [uuid.uuid4().hex])
        message = hospital_sim.document(self.id, self.patient, content, **options)
        if object_content is not None:
            message["content"] = object_content
        await self.hospital.publish("dpi.documents", message)
        return message


class Hospital:
    def __init__(self, nc: NATS) -> None:
        self.nc = nc
        self.js = nc.jetstream()

    def episode(self, **fields: Any) -> Episode:
        return Episode(self, **fields)

    async def publish(self, subject: str, message: dict[str, Any]) -> None:
        leaks.SENSITIVE.remember_patients(message)
        if subject.startswith("dpi.requests."):
            leaks.SENSITIVE.remember_requests(message)
        await hospital_sim.publish(self.js, subject, message)

    async def publish_raw(self, subject: str, data: bytes, msg_id: str | None = None) -> None:
        try:
            leaks.SENSITIVE.remember_patients(json.loads(data))
        except ValueError:
            pass  # not JSON: no patient in it to look for
        await self.js.publish(subject, data, headers={"Nats-Msg-Id": msg_id or uuid.uuid4().hex})


async def deliver(
    portal_events: PortalEvents, episode: Episode, gln: str | None = None, *, timeout: float = 30.0, **document: Any
) -> dict[str, Any]:
    """Designate `gln` for the episode (None: it is designated already), send it a document
    (`Episode.document`'s arguments), and wait until the portal reports this version delivered.
    Returns the message sent."""
    if gln is not None:
        await episode.designate(gln)
    sent = await episode.document(**document)
    meta = sent["document"]
    await portal_events.wait_for("portal.documents.delivered", timeout, document_id=meta["id"], version=meta["version"])
    return sent


@dataclass
class Physician:
    account_id: str
    login: str
    password: str
    gln: str
    mobile: str
    app_secret: str | None = None  # staff: their authenticator app's, once enrolled

    @property
    def key(self) -> str:
        """How the documents service names the physician ("gln:...")."""
        return f"gln:{self.gln}"


def app_code(secret: str, at: float | None = None) -> str:
    """The authenticator app's code for the step after the last one used: each step serves once,
    so a second login in the same 30 s takes the next step's code (within the allowed drift)."""
    now = time.time() if at is None else at
    step = int(now // 30)
    _last_steps.setdefault(secret, 0)
    step = max(step, _last_steps[secret] + 1)
    _last_steps[secret] = step
    return pyotp.TOTP(secret).at(step * 30)


_last_steps: dict[str, int] = {}


@dataclass
class Session:
    secret: str
    token: str


class Physicians:
    """Creates physicians in identity's schema and logs them in through NATS, as the gateway does."""

    def __init__(self, stack: Stack, reconnect: bool = False) -> None:
        self.stack = stack
        self.passwords = Passwords()
        self.pool: asyncpg.Pool | None = None
        self.gateway: NATS | None = None
        self._reconnect = reconnect  # the drills: the bus may go down and come back

    async def open(self) -> None:
        self.pool = await asyncpg.create_pool(
            self.stack.service_dsns["identity"], min_size=1, max_size=2, server_settings={"search_path": "identity"}
        )
        self.gateway = await self.stack.connect_nats("gateway", reconnect=self._reconnect)

    async def close(self) -> None:
        self.passwords.close()
        if self.gateway:
            await self.gateway.close()
        if self.pool:
            await self.pool.close()

    async def create(self, status: str = "active", role: str = "physician") -> Physician:
        assert self.pool is not None
        login = f"dr-{uuid.uuid4().hex[:10]}"
        password = f"pw-{uuid.uuid4().hex}"
        gln, mobile = random_gln(), random_mobile()
        async with self.pool.acquire() as conn:
            account_id = await create_account(
                conn,
                self.passwords,
                login=login,
                password=password,
                family_name="Test",
                given_name=login,
                email=f"{login}@cabinet.example.ch",
                mobile=mobile,
                gln=gln if role == "physician" else None,
                status=status,
                role=role,
            )
        leaks.SENSITIVE.remember(leaks.PASSWORD, password)
        return Physician(account_id, login, password, gln, mobile)

    @overload
    async def call(self, endpoint: Endpoint[Req, Rep], message: Req) -> Rep: ...

    @overload
    async def call(self, endpoint: SignedEndpoint[Req, Rep], message: Req, *, token: str) -> Rep: ...

    async def call(self, endpoint: Any, message: BaseModel, *, token: str | None = None) -> Any:
        """Ask a service on the gateway's connection, as the gateway does."""
        assert self.gateway is not None
        if endpoint.subject.startswith("requests.api."):
            leaks.SENSITIVE.remember_requests(message.model_dump(mode="json"))
        if token is None:
            return await call(self.gateway, endpoint, message)
        return await call(self.gateway, endpoint, message, token=token)

    async def documents(self, token: str, **query: Any) -> documents.DocumentPage:
        """Mes documents as the physician with this token sees it."""
        return await self.call(documents.LIST_DOCUMENTS, documents.ListDocuments(**query), token=token)

    async def content(self, token: str, delivery_id: str, disposition: str = "view") -> bytes:
        """A document's whole content, chunk after chunk, as the gateway reads it."""
        data, offset = bytearray(), 0
        while True:
            chunk = await self.call(
                documents.READ_CONTENT,
                documents.GetContent(id=delivery_id, disposition=disposition, offset=offset),  # type: ignore[arg-type]
                token=token,
            )
            data += base64.b64decode(chunk.data_b64)
            offset += documents.CHUNK_SIZE
            if chunk.last:
                assert len(data) == chunk.size
                return bytes(data)

    async def ask_code(self, physician: Physician) -> tuple[str, str]:
        """Password step; return the challenge handle and the code (from the SMS outbox, or the app)."""
        since = time.time_ns()
        challenge = await self.call(
            identity.LOG_IN_WITH_PASSWORD,
            identity.PasswordLogin(login=physician.login, password=physician.password),
        )
        leaks.SENSITIVE.remember(leaks.CHALLENGE, challenge.challenge)
        if challenge.method == "sms":
            return challenge.challenge, await self.sms_code(physician.mobile, since, challenge.challenge)
        if challenge.enrolment_uri is not None:
            physician.app_secret = pyotp.parse_uri(challenge.enrolment_uri).secret
        assert physician.app_secret, "an enrolled app without its secret"
        return challenge.challenge, app_code(physician.app_secret)

    async def sms_code(self, mobile: str, since_ns: int, challenge: str | None = None) -> str:
        """The code of the latest SMS to `mobile` since `since_ns`; with `challenge`, the code of
        that very attempt (notify sends after identity's commit: an earlier attempt's SMS may
        still arrive after `since_ns`)."""
        outbox = self.stack.outbox_dir
        expected = None
        if challenge is not None:
            assert self.pool is not None
            expected = await self.pool.fetchval(
                "SELECT code_mac FROM login_challenges WHERE handle_hash = $1", digest(challenge)
            )

        async def found() -> str | None:
            if expected is None:
                return latest_code(outbox, mobile, since_ns)
            for message in reversed(outbox_messages(outbox, "sms", mobile, since_ns)):
                match = re.search(r"\b(\d{6})\b", message["body"])
                if match and hmac.compare_digest(code_mac(challenge or "", match.group(1)), bytes(expected)):
                    return match.group(1)
            return None

        code = await eventually(found, what=f"an SMS to {mobile}")
        leaks.SENSITIVE.remember(leaks.CODE, code)
        return code

    async def alive(self, session: Session) -> bool:
        """Whether identity still resolves the session."""
        try:
            await self.call(identity.RESOLVE_SESSION, identity.SessionRef(session=session.secret))
        except Unauthenticated:
            return False
        return True

    async def age_sms_codes(self, physician: Physician, minutes: int = 15) -> None:
        """Move the physician's SMS codes `minutes` into the past (at most 3 go out in 15 minutes)."""
        assert self.pool is not None
        async with self.pool.acquire() as conn:
            await conn.execute(
                "UPDATE login_challenges SET created_at = created_at - make_interval(mins => $2) WHERE account_id = $1",
                uuid.UUID(physician.account_id),
                minutes,
            )

    async def login(self, physician: Physician) -> Session:
        """Password, then the code: by SMS for a physician, from the authenticator app for staff
        (enrolled at the first login: the test keeps the app's secret)."""
        challenge, code = await self.ask_code(physician)
        opened = await self.call(identity.LOG_IN_WITH_CODE, identity.CodeLogin(challenge=challenge, code=code))
        resolved = await self.call(identity.RESOLVE_SESSION, identity.SessionRef(session=opened.session))
        leaks.SENSITIVE.remember(leaks.SESSION, opened.session)
        leaks.SENSITIVE.remember(leaks.TOKEN, resolved.token)
        return Session(opened.session, resolved.token)


def outbox_messages(outbox: Path, kind: str, to: str | None, since_ns: int = 0) -> list[dict[str, Any]]:
    """Messages of the dev outbox to one address (None: to anyone), oldest first."""
    found = []
    for path in sorted(outbox.glob("*.json")):
        if int(path.name.split("-")[0]) < since_ns:
            continue
        message = json.loads(path.read_text())
        if message["kind"] == kind and to in (None, message["to"]):
            found.append(message)
    return found


def latest_code(outbox: Path, mobile: str, since_ns: int = 0) -> str | None:
    messages = outbox_messages(outbox, "sms", mobile, since_ns)
    if not messages:
        return None
    match = re.search(r"\b(\d{6})\b", messages[-1]["body"])
    leaks.SENSITIVE.remember(leaks.CODE, match and match.group(1))
    return match.group(1) if match else None


async def sms_to(outbox: Path, mobile: str, since_ns: int, containing: str = "") -> dict[str, Any]:
    """The latest SMS to `mobile` since `since_ns` (with `containing` in it), once it arrived:
    notify sends after the commit of what asked for it."""

    async def arrived() -> dict[str, Any] | None:
        found = [m for m in outbox_messages(outbox, "sms", mobile, since_ns) if containing in m["body"]]
        return found[-1] if found else None

    return await eventually(arrived, what=f"an SMS to {mobile}")


async def emailed_password(outbox: Path, email: str, since_ns: int) -> str:
    """The temporary password of the latest email to `email` since `since_ns` (from the dev outbox)."""

    async def mail() -> str | None:
        messages = outbox_messages(outbox, "email", email, since_ns)
        found = re.search(r"Mot de passe provisoire : (\S+)", messages[-1]["body"]) if messages else None
        leaks.SENSITIVE.remember(leaks.TEMPORARY_PASSWORD, found and found.group(1))
        return found.group(1) if found else None

    return await eventually(mail, what=f"the temporary password's email to {email}")


async def metric(stack: Stack, process: str, name: str, **labels: str) -> float:
    """One sample of a process's Prometheus metrics, as Prometheus scrapes it (0 if absent)."""
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{stack.metrics_ports[process]}/metrics") as response:
            text = await response.text()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(key) == value for key, value in labels.items()):
                return float(sample.value)
    return 0.0


async def metric_grows(stack: Stack, process: str, name: str, before: float, **labels: str) -> float:
    """Wait until the metric is above `before` (it is read as Prometheus would, after the fact)."""

    async def grown() -> float | None:
        value = await metric(stack, process, name, **labels)
        return value if value > before else None

    return await eventually(grown, what=f"{name}{labels} of {process} above {before}")
