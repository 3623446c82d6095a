"""The NATS negative matrix, generated from deploy/nats_accounts.py and the contracts' endpoints.

Every subject of the permission table (each user's, its patterns made concrete), every user's
reply inbox, every durable consumer's subjects, every bucket's subjects and every endpoint and
event of the contracts: each user is refused, by the server, every one of them its own rules do not give it,
to publish on and to subscribe to. The rules themselves are held to what makes them safe: an
inbox, a service's requests, a durable consumer and a bucket are their owner's alone, an event is
said by its service only, and no one writes another's audit records. A new user, subject, consumer or bucket is covered as it is added
to the tables; a stream, bucket or durable consumer on the server that is missing from them fails.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import uuid
from collections.abc import Iterator
from typing import Literal

import pytest
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

import common.contracts
from common.bus import inbox_prefix
from common.contracts.base import Endpoint, Event, SignedEndpoint
from common.contracts.health import check_health
from common.streams import STREAMS
from deploy.nats_accounts import (
    BUCKETS,
    DURABLE_CONSUMERS,
    OBSERVERS,
    PERMISSIONS,
    SERVICES,
    USERS,
    Bucket,
    consumer_subjects,
    denied,
)
from deploy.stack import Stack

from .portal import eventually

Direction = Literal["publish", "subscribe"]
WILDCARDS = ("*", ">")
CATCH_ALLS = (">", "_INBOX.>", "$JS.>", "$JS.API.>", "$O.>", "$KV.>", "$SRV.>")
"""Subscriptions that would hear everything, every reply, or every JetStream call."""


def covers(pattern: str, subject: str) -> bool:
    """Whether `pattern` matches `subject` as nats-server checks a permission: a wildcard in the
    subject is a plain token, so `a.*` also lets one subscribe to `a.>` (and hear all of `a.`)."""
    rule, tokens = pattern.split("."), subject.split(".")
    for index, token in enumerate(rule):
        if token == ">":
            return index < len(tokens)
        if index >= len(tokens) or token not in ("*", tokens[index]):
            return False
    return len(rule) == len(tokens)


def concrete(pattern: str) -> str:
    """A subject the pattern matches: each wildcard a plain token."""
    return ".".join("x" if token in WILDCARDS else token for token in pattern.split("."))


def allowed(user: str, direction: Direction, subject: str) -> bool:
    """What the table gives `user` (a deny, generated for publishing, wins over any allow)."""
    given = any(covers(rule, subject) for rule in PERMISSIONS[user][direction])
    return given and not (direction == "publish" and any(covers(rule, subject) for rule in denied(user)))


def _declared(kind: type | tuple[type, ...]) -> dict[str, str]:
    """Every subject of the contracts declared as `kind` -> the service it is named after."""
    subjects = {}
    for module in pkgutil.iter_modules(common.contracts.__path__):
        for value in vars(importlib.import_module(f"common.contracts.{module.name}")).values():
            if isinstance(value, kind):
                subjects[value.subject] = value.subject.split(".")[0]
    return subjects


def endpoint_subjects() -> dict[str, str]:
    """Every request/reply subject of the contracts -> the service that answers it."""
    return {check_health(service).subject: service for service in SERVICES} | _declared((Endpoint, SignedEndpoint))


def event_subjects() -> dict[str, str]:
    """Every event of the contracts (sessions ended, an answer arrived) -> the service that says it."""
    return _declared(Event)


def watching(subject: str) -> bool:
    """Reading a stream's or a consumer's state, which observers may do of any."""
    return subject.startswith(("$JS.API.STREAM.INFO.", "$JS.API.CONSUMER.INFO."))


def consumer_use(stream: str, durable: str) -> list[str]:
    """Using a durable consumer: creating, changing, deleting, fetching, acknowledging, reading its state."""
    return [*consumer_subjects(stream, durable), f"$JS.API.CONSUMER.INFO.{stream}.{durable}"]


def bucket_subjects(bucket: Bucket) -> list[str]:
    """Everything that touches a bucket: its objects, its stream, any consumer on it."""
    stream = bucket.stream
    verbs = ("INFO", "CREATE", "UPDATE", "DELETE", "PURGE", "MSG.GET", "MSG.DELETE")
    return [
        bucket.subjects,
        *(f"$JS.API.STREAM.{verb}.{stream}" for verb in verbs),
        f"$JS.API.DIRECT.GET.{stream}.>",
        *consumer_use(stream, "x"),
    ]


def bucket_writes(bucket: Bucket) -> list[str]:
    """Changing a bucket: its objects, its stream's settings, purges and deletions."""
    stream = bucket.stream
    verbs = ("CREATE", "UPDATE", "DELETE", "PURGE", "MSG.DELETE")
    return [bucket.subjects, *(f"$JS.API.STREAM.{verb}.{stream}" for verb in verbs)]


def bucket_consumers(bucket: Bucket) -> list[str]:
    """Consuming from a bucket's stream, which only its owner may do."""
    return [f"$JS.API.CONSUMER.CREATE.{bucket.stream}", *consumer_use(bucket.stream, "x")]


def candidates() -> set[str]:
    """Every subject the tables and the contracts name, as patterns."""
    subjects = {rule for user in USERS for rules in PERMISSIONS[user].values() for rule in rules}
    subjects |= {rule for user in USERS for rule in denied(user)}
    subjects |= {f"{inbox_prefix(user)}.>" for user in USERS}
    subjects |= {subject for stream, durable in DURABLE_CONSUMERS for subject in consumer_use(stream, durable)}
    subjects |= {subject for bucket in BUCKETS for subject in [*bucket_subjects(bucket), *bucket_consumers(bucket)]}
    subjects |= {pattern for pattern, _, _ in STREAMS.values()}
    subjects |= set(endpoint_subjects()) | set(event_subjects())
    return subjects | set(CATCH_ALLS)


def refused(user: str, direction: Direction) -> list[str]:
    """What the server must refuse `user`: every subject named anywhere that its rules do not give
    it, made concrete (and, to subscribe, also as the pattern itself)."""
    named = candidates()
    subjects = {concrete(subject) for subject in named}
    if direction == "subscribe":
        subjects |= named
    return sorted(subject for subject in subjects if not allowed(user, direction, subject))


# -- the rules are safe -----------------------------------------------------------------------------


@pytest.mark.parametrize("user", USERS)
def test_a_user_hears_its_own_inbox_and_no_one_else_s(user: str) -> None:
    """Replies to a user's requests carry passwords, sessions and documents: its inbox prefix is its own."""
    own = f"{inbox_prefix(user)}.>"
    assert own in PERMISSIONS[user]["subscribe"]
    for other in USERS:
        if other != user:
            inbox = f"{inbox_prefix(other)}.>"
            assert not allowed(user, "subscribe", inbox) and not allowed(user, "subscribe", concrete(inbox)), other
            assert not allowed(user, "publish", concrete(inbox)), f"{user} may answer in {other}'s place"
    for catch_all in CATCH_ALLS:
        assert not allowed(user, "subscribe", catch_all), catch_all


@pytest.mark.parametrize("user", USERS)
def test_only_the_service_that_answers_a_request_hears_it(user: str) -> None:
    for subject, service in endpoint_subjects().items():
        if service != user:
            assert not allowed(user, "subscribe", subject), f"{user} hears {service}'s {subject}"


@pytest.mark.parametrize("user", USERS)
def test_only_the_service_that_says_an_event_publishes_it(user: str) -> None:
    """A forged event would end someone's event streams, or email a physician about no answer."""
    assert event_subjects(), "no event found in the contracts"
    for subject, service in event_subjects().items():
        assert allowed(user, "publish", subject) == (user == service), f"{user} on {service}'s {subject}"


@pytest.mark.parametrize("user", USERS)
def test_no_one_uses_or_watches_another_party_s_consumer(user: str) -> None:
    for (stream, durable), owner in DURABLE_CONSUMERS.items():
        if owner == user:
            continue
        for subject in consumer_use(stream, durable):
            if not (user in OBSERVERS and watching(subject)):
                assert not allowed(user, "publish", concrete(subject)), f"{user}: {subject}"


@pytest.mark.parametrize("user", USERS)
def test_a_bucket_is_touched_by_its_owner_writers_and_readers_only_and_no_writer_consumes(user: str) -> None:
    """A writer that could consume from the bucket could make the server deliver the bytes it put
    on any subject, another party's requests included (a push consumer's deliver subject); a
    reader reads, and changes nothing."""
    for bucket in BUCKETS:
        if user == bucket.owner:
            continue
        if user in bucket.writers:
            forbidden = bucket_consumers(bucket)
        elif user in bucket.readers:
            forbidden = bucket_writes(bucket)
        else:
            forbidden = bucket_subjects(bucket)
        for subject in forbidden:
            if not (user in OBSERVERS and watching(subject)):
                assert not allowed(user, "publish", concrete(subject)), f"{user}: {subject}"
        assert not allowed(user, "subscribe", bucket.subjects)


@pytest.mark.parametrize("user", USERS)
def test_no_one_writes_another_s_audit_records(user: str) -> None:
    for other in USERS:
        if other != user:
            assert not allowed(user, "publish", f"audit.record.{other}"), other


def test_the_subject_rules_match_as_the_server_does() -> None:
    assert covers("a.>", "a.b.c") and covers("a.>", "a.*") and not covers("a.>", "a")
    assert covers("a.*", "a.b") and covers("a.*", "a.*") and covers("a.*", "a.>") and not covers("a.*", "a.b.c")
    assert covers("a.b", "a.b") and not covers("a.b", "a.*") and not covers("a.b", "a.c")
    assert covers(">", "a.b") and not covers("*", "a.b")


# -- the server refuses what the rules do not give ----------------------------------------------------

VIOLATION = re.compile(r'permissions violation for (publish|subscription) to "([^"]+)"', re.IGNORECASE)


@pytest.mark.parametrize("user", USERS)
async def test_the_server_refuses_a_user_every_subject_its_rules_do_not_give_it(stack: Stack, user: str) -> None:
    """One connection per user: it publishes on and subscribes to everything it is refused, and the
    server must report each as a permissions violation (they arrive as asynchronous errors, which
    nats-py gives in lower case)."""
    reported: set[tuple[str, str]] = set()

    async def collect(exc: Exception) -> None:
        for kind, subject in VIOLATION.findall(str(exc)):
            reported.add(("publish" if kind.lower() == "publish" else "subscribe", subject.lower()))

    publish, subscribe = refused(user, "publish"), refused(user, "subscribe")
    expected = {("publish", subject.lower()) for subject in publish}
    expected |= {("subscribe", subject.lower()) for subject in subscribe}
    nc = await stack.connect_nats(user, on_error=collect)
    try:
        for subject in publish:
            await nc.publish(subject, b"not json")  # a call that got through would fail to parse
        for subject in subscribe:
            await nc.subscribe(subject)
        await nc.flush()

        async def all_refused() -> bool | None:
            return True if expected <= reported else None

        try:
            await eventually(all_refused, timeout=10, what=f"{len(expected)} refusals")
        except AssertionError:
            raise AssertionError(f"{user} was let through: {sorted(expected - reported)}") from None
    finally:
        await nc.close()


def _writers() -> list[tuple[Bucket, str]]:
    """Other parties that write in a bucket (an owner writing its own bucket is the portal itself)."""
    return [(bucket, writer) for bucket in BUCKETS for writer in bucket.writers if writer != bucket.owner]


@pytest.mark.parametrize(("bucket", "writer"), _writers(), ids=lambda value: getattr(value, "name", value))
async def test_a_bucket_s_writer_cannot_have_the_server_deliver_its_bytes_on_another_party_s_subject(
    stack: Stack, bucket: Bucket, writer: str
) -> None:
    """A push consumer delivers on any subject its creator names, whatever the creator may publish
    (nats-server issue 8274): with a consumer on the Object Store, the hospital had the server put
    bytes of its choosing on identity's requests."""
    subject = f"{bucket.owner}.hostile.{uuid.uuid4().hex}"
    arrived: list[bytes] = []
    refusals: list[str] = []

    async def heard(msg: Msg) -> None:
        arrived.append(msg.data)

    async def refused(exc: Exception) -> None:
        refusals.append(str(exc))

    listener = await stack.connect_nats(bucket.owner)
    party = await stack.connect_nats(writer, on_error=refused)
    try:
        await listener.subscribe(subject, cb=heard)
        await listener.flush()
        js = party.jetstream()
        await (await js.object_store(bucket.name)).put(uuid.uuid4().hex, b'{"login": "a", "password": "b"}')
        config = ConsumerConfig(deliver_subject=subject, deliver_policy=DeliverPolicy.LAST, ack_policy=AckPolicy.NONE)
        with pytest.raises(NatsTimeout):
            await js.add_consumer(bucket.stream, config, timeout=2)
        assert any("permissions violation" in refusal for refusal in refusals)
        await listener.flush()
        assert arrived == []
    finally:
        await party.close()
        await listener.close()


def _servers_tables() -> Iterator[str]:
    yield from STREAMS
    for bucket in BUCKETS:
        yield bucket.stream


async def test_every_stream_bucket_and_durable_consumer_on_the_server_is_in_the_tables(stack: Stack) -> None:
    """What the matrix covers comes from the tables: a stream, a bucket or a durable consumer the
    code creates without declaring it would go unchecked, so it fails here. The hospital's own
    consumers are named `hospital...` (CONTRACT.md); ephemeral ones have no durable name."""
    nc = await stack.connect_nats("ops")
    try:
        js = nc.jetstream()
        streams = [info.config.name for info in await js.streams_info()]
        assert set(streams) <= set(_servers_tables()), "a stream or bucket missing from the tables"
        for stream in streams:
            assert stream is not None
            for consumer in await js.consumers_info(stream):
                durable = consumer.config.durable_name
                if durable is None or (stream == "PORTAL" and durable.startswith("hospital")):
                    continue
                assert (stream, durable) in DURABLE_CONSUMERS, f"consumer {durable} of {stream} is in no table"
    finally:
        await nc.close()
