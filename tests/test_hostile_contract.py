"""Contract fuzzing: every message the hospital publishes (`hospital.INCOMING`), each of its fields
in turn with a NUL, an escape character, a huge string, a huge number, a wrong type or missing.

The cases come from the pydantic models' fields walked over a valid sample, so a new field or a
new message type is covered as it is added (a message type without a sample here fails). What
the model refuses must come back on `portal.rejected` within 1 s, its reason the model's own (the
field and the rule, never the value); what it accepts (an unknown category, a missing optional
field) must be delivered. An unknown field, at any level, is refused too: a misspelt optional
field (`manuel` for `manual`) would otherwise change what happens to a document without a word.
And the next good message is still delivered. All the bad messages go out at once, then
everything is awaited with one deadline.
"""

from __future__ import annotations

import asyncio
import json
import time
import types
import typing
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from annotated_types import MaxLen
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from common.codec import MalformedMessage, decode
from common.contracts import hospital as contract
from common.contracts import hospital_requests as requests_contract
from deploy import hospital_sim
from services.requests.hospital_replies import UNKNOWN_REQUEST

from . import request_contract_samples as request_samples
from .portal import Episode, Hospital, Physician, Physicians, PortalEvents, eventually, random_gln, random_mobile

PDF = hospital_sim.make_pdf("Lettre", ["contrat"])
MANUAL = {"sent_by": "Dr B. Roux", "patient_authorization": "Accord oral du patient le 2 décembre"}


def _fresh(subject: str) -> dict[str, Any]:
    """The first sample of a requests subject, with an event id of its own."""
    return {**request_samples.SAMPLES[subject][0](), "event_id": uuid.uuid4().hex}


SAMPLES: dict[str, Callable[[Episode, Physician], dict[str, Any]]] = {
    contract.DESIGNATIONS: lambda episode, doctor: hospital_sim.designation(
        episode.id, episode.patient, {"gln": doctor.gln}
    ),
    # Sent by hand, so that `manual` and its fields are fuzzed too (and delivered without designation).
    contract.DOCUMENTS: lambda episode, doctor: hospital_sim.document(
        episode.id, episode.patient, PDF, manual={"recipient": {"gln": doctor.gln}, **MANUAL}
    ),
    requests_contract.STATUS_FROM_HOSPITAL: lambda episode, doctor: _fresh(requests_contract.STATUS_FROM_HOSPITAL),
    requests_contract.ANSWER: lambda episode, doctor: _fresh(requests_contract.ANSWER),
    requests_contract.SERVICES: lambda episode, doctor: {
        "event_id": uuid.uuid4().hex,
        "service": {
            "code": f"S-{uuid.uuid4().hex[:8]}",
            "name": "Oncologie",
            "domain": "both",
            "accepts": ["tumor_board"],
            "boards": [{"code": "TB-1", "name": "Colloque"}],
            "active": True,
        },
        "recorded_at": hospital_sim.now(),
    },
}
"""A valid message of each type of the contract."""

NO_SUCH_REQUEST_YET = (requests_contract.STATUS_FROM_HOSPITAL, requests_contract.ANSWER)
"""A valid status or answer names a request id; the test's are no request's: rejected as such."""

INCOMING = {**contract.INCOMING, **requests_contract.INCOMING}
"""Every message the hospital publishes, whichever service consumes it."""

HUGE = 100_000
"""Characters of a huge string (or its bound and one, when the bound is higher)."""
MISSING = object()


@dataclass
class Case:
    """One mutation of a valid message: `path` set to `value` (or removed when MISSING)."""

    subject: str
    path: tuple[str, ...]
    kind: str
    value: Any

    @property
    def name(self) -> str:
        return f"{self.subject} {'.'.join(self.path) or 'message'} {self.kind}"

    def message(self, sample: dict[str, Any]) -> dict[str, Any]:
        message = json.loads(json.dumps(sample))
        *parents, last = self.path
        target = message
        for key in parents:
            target = target[key]
        if self.value is MISSING:
            del target[last]
        else:
            target[last] = self.value
        return message


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The models a field's annotation names (through Optional, unions and Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, typing.Annotated):
        return [model for argument in typing.get_args(annotation) for model in _models(argument)]
    return []


def _model_of(field: FieldInfo, value: Any) -> type[BaseModel] | None:
    """The model a field's sample value is an instance of (the union member it validates as)."""
    for model in _models(field.annotation):
        try:
            model.model_validate(value)
        except ValidationError:
            continue
        return model
    return None


def _fields(model: type[BaseModel], sample: dict[str, Any], path: tuple[str, ...] = ()) -> Iterator[Case]:
    yield Case("", (*path, "x_unknown"), "unknown field", "a value the contract does not ask for")
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key not in sample:
            continue
        value, here = sample[key], (*path, key)
        nested = _model_of(field, value) if isinstance(value, dict) else None
        yield Case("", here, "wrong type", "an object expected" if nested else {"a value": "expected"})
        yield Case("", here, "missing", MISSING)
        if nested is not None:
            yield from _fields(nested, value, here)
        elif isinstance(value, str):
            bound = max((item.max_length for item in field.metadata if isinstance(item, MaxLen)), default=0)
            yield Case("", here, "NUL", value[:1] + "\x00" + value[1:])
            yield Case("", here, "escape", value[:1] + "\x1b[2J" + value[1:])
            yield Case("", here, "huge", "x" * max(HUGE, bound + 1))
        elif isinstance(value, int) and not isinstance(value, bool):
            yield Case("", here, "huge", 2**63)


def cases(subject: str, sample: dict[str, Any]) -> list[Case]:
    """Every mutation of the sample of `subject`, and the message as a whole broken."""
    found = [Case(subject, case.path, case.kind, case.value) for case in _fields(INCOMING[subject], sample)]
    return [*found, Case(subject, (), "not an object", ["a", "list"])]


def rejection_reason(case: Case, data: bytes) -> str | None:
    """The reason the portal must give (the model's), or None if the model accepts the message."""
    try:
        decode(INCOMING[case.subject], data)
    except MalformedMessage as exc:
        return exc.reason
    return None


def names_field(reason: str, case: Case) -> bool:
    """Whether one of the reason's `location: rule` parts names the field (union members' names,
    in capitals, may stand between its parts; a missing field may be named by its object's rule,
    as "give exactly one of gln or rpps") and a rule."""
    path = list(case.path or ("message",))
    for part in reason.split("; "):
        location, _, rule = part.partition(": ")
        steps = [step for step in location.split(".") if not step[:1].isupper()]
        if rule and (steps == path or (case.value is MISSING and steps == path[: len(steps)])):
            return True
    return False


def test_every_message_the_hospital_publishes_has_a_model_and_a_sample() -> None:
    published = {
        value
        for module in (contract, requests_contract)
        for value in vars(module).values()
        if isinstance(value, str) and value.startswith("dpi.")
    }
    assert published == set(INCOMING) == set(SAMPLES), "add the message to INCOMING, and a sample here"


@dataclass
class Sent:
    case: Case
    event_id: str | None
    reason: str | None  # None: accepted
    document_id: str | None
    by_model: bool = True  # the model's reason (else the service's: an unknown request)


async def _publish(hospital_: Hospital, case: Case, message: dict[str, Any] | list[str]) -> Sent:
    data = json.dumps(message).encode()
    reason, by_model = rejection_reason(case, data), True
    if reason is None and case.subject in NO_SUCH_REQUEST_YET:  # valid, for a request the portal does not have
        reason, by_model = UNKNOWN_REQUEST, False
    event_id = message.get("event_id") if isinstance(message, dict) else None
    readable = event_id if isinstance(event_id, str) and event_id.isprintable() and len(event_id) <= 200 else None
    await hospital_.publish_raw(case.subject, data)  # a message id of its own: no two cases deduplicated
    document = message.get("document") if isinstance(message, dict) else None
    document_id = document.get("id") if isinstance(document, dict) else None
    return Sent(case, readable, reason, document_id if isinstance(document_id, str) else None, by_model)


async def test_every_field_of_every_hospital_message_is_refused_by_field_and_rule_and_nothing_jams(
    hospital: Hospital, portal_events: PortalEvents, physicians: Physicians
) -> None:
    doctor = await physicians.create()
    episode = hospital.episode()
    await episode.designate(doctor.gln)
    all_cases = [case for subject, sample in SAMPLES.items() for case in cases(subject, sample(episode, doctor))]
    seen = len(portal_events.messages)

    sent: list[Sent] = []
    for case in all_cases:
        message = case.message(SAMPLES[case.subject](episode, doctor)) if case.path else case.value
        sent.append(await _publish(hospital, case, message))
    published = time.monotonic()
    # The next good messages: a document, and an episode designated then sent one.
    fresh = hospital.episode()
    await hospital.publish(contract.DESIGNATIONS, SAMPLES[contract.DESIGNATIONS](fresh, doctor))
    automatic = {**hospital_sim.document(fresh.id, fresh.patient, PDF), "manual": None}
    good = [SAMPLES[contract.DOCUMENTS](episode, doctor), automatic]
    for message in good:
        await hospital.publish(contract.DOCUMENTS, message)

    refused = [item for item in sent if item.reason is not None]
    accepted = {item.event_id for item in sent if item.reason is None} | {message["event_id"] for message in good}
    delivered = {
        item.document_id for item in sent if item.reason is None and item.case.subject == contract.DOCUMENTS
    } | {m["document"]["id"] for m in good}
    assert None not in delivered and len(refused) > 100
    by_event = {item.event_id: item for item in refused if item.event_id is not None}
    unnamed = Counter((item.case.subject, item.reason) for item in refused if item.event_id is None)
    arrived: dict[str, float] = {}  # the case's name -> when its rejection was seen

    def take(new: list[tuple[str, dict[str, Any]]]) -> None:
        now = time.monotonic()
        for subject, body in new:
            if subject == contract.REJECTED and body["event_id"] in by_event:
                item = by_event.pop(body["event_id"])
                assert body["reason"] == item.reason, item.case.name
                arrived[item.case.name] = now
            elif subject == contract.REJECTED and body["event_id"] is None:
                key = (body["subject"], body["reason"])
                if unnamed[key]:
                    unnamed[key] -= 1
                    arrived[f"{key}#{unnamed[key]}"] = now
            elif subject == contract.DELIVERED:
                delivered.discard(body["document_id"])

    deadline = time.monotonic() + 20
    while by_event or +unnamed or delivered:
        if time.monotonic() > deadline:
            missing = [item.case.name for item in by_event.values()]
            raise AssertionError(f"missing: rejections of {missing} and of {+unnamed}, deliveries of {delivered}")
        take(portal_events.messages[seen:])
        seen += len(portal_events.messages[seen:])
        await asyncio.sleep(0.02)

    for item in refused:
        assert item.reason is not None, item.case.name
        assert not item.by_model or names_field(item.reason, item.case), (item.case.name, item.reason)
        assert item.case.value is MISSING or json.dumps(item.case.value)[1:-1] not in item.reason
    late = max(arrived.values()) - published
    assert late < 1.0, f"the last of {len(arrived)} rejections came {late:.2f} s after the last bad message"
    assert not [body for body in portal_events.matching(contract.REJECTED) if body["event_id"] in accepted]


@pytest.mark.parametrize("subject", sorted(SAMPLES))
def test_the_model_refuses_every_text_field_s_control_characters_and_huge_values(subject: str) -> None:
    """What PostgreSQL would refuse (a NUL, a number beyond an integer) or what no field needs
    (an escape sequence, 100,000 characters) is refused at validation; an unknown category is
    the one text the contract takes as anything (stored as `other`)."""
    doctor = Physician("id", "login", "password", random_gln(), random_mobile())
    episode = Episode(hospital=None, id="EP-1")  # type: ignore[arg-type]
    sample = SAMPLES[subject](episode, doctor)
    for case in cases(subject, sample):
        if case.kind in ("NUL", "escape", "huge") and case.path != ("document", "category"):
            data = json.dumps(case.message(sample)).encode()
            assert rejection_reason(case, data) is not None, case.name


async def test_a_subject_with_a_control_character_is_rejected_and_reported_escaped(
    hospital: Hospital, portal_events: PortalEvents
) -> None:
    """Its rejection could not be recorded (PostgreSQL refuses a NUL, and any control character
    would reach the logs and the hospital as it is): the message stayed unacknowledged, retried
    every 30 s for ever."""
    event_id = uuid.uuid4().hex
    await hospital.publish_raw("dpi.bad\x00\x1bname", json.dumps({"event_id": event_id}).encode())
    rejected = await portal_events.wait_for(contract.REJECTED, event_id=event_id, timeout=5)
    assert rejected["subject"] == "dpi.bad\\x00\\x1bname" and rejected["reason"] == "unknown subject"


async def test_an_unreadable_event_id_is_rejected_without_it(hospital: Hospital, portal_events: PortalEvents) -> None:
    """A lone surrogate is no text PostgreSQL can take (nor JSON that pydantic reads)."""
    marker = f"dpi.unreadable.{uuid.uuid4().hex}"
    await hospital.publish_raw(marker, b'{"event_id": "a\\ud800b"}')

    async def rejected() -> dict[str, Any] | None:
        found = [body for body in portal_events.matching(contract.REJECTED) if body["subject"] == marker]
        return found[0] if found else None

    assert (await eventually(rejected, timeout=5, what="the rejection"))["event_id"] is None
