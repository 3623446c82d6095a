"""The contract's requests part (CONTRACT.md 1.1): each message's model and its JSON Schema take
the same valid messages and refuse the same bad ones.

Plain unit tests: no stack.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from common.contracts import hospital_requests as contract
from common.contracts.physicians import PhysicianRef
from common.contracts.schemas import load, validator

from .request_contract_samples import FIELDS, GLN, INLINE, RPPS, SAMPLES, STORED, submitted

pytestmark = pytest.mark.unit

MODELS = {**contract.INCOMING, **contract.OUTGOING}


def _schema_errors(subject: str, message: Any) -> list[str]:
    return [error.message for error in validator(subject).iter_errors(message)]


VALID = [(subject, index) for subject, samples in SAMPLES.items() for index in range(len(samples))]


def test_every_subject_of_the_requests_part_has_a_model_and_a_sample() -> None:
    subjects = {value for name, value in vars(contract).items() if name.isupper() and isinstance(value, str)}
    assert {s for s in subjects if s.startswith("dpi.")} == set(contract.INCOMING)
    assert {s for s in subjects if s.startswith("portal.")} == set(contract.OUTGOING)
    assert set(MODELS) == set(SAMPLES)


@pytest.mark.parametrize(("subject", "index"), VALID)
def test_a_valid_message_is_taken_by_its_model_and_its_schema(subject: str, index: int) -> None:
    message = SAMPLES[subject][index]()
    model = MODELS[subject].model_validate_json(json.dumps(message))
    assert _schema_errors(subject, message) == []
    # what the portal writes from the model follows the schema too (defaults written out)
    written = model.model_dump(mode="json")
    assert _schema_errors(subject, written) == []
    assert {key: value for key, value in written.items() if key in message} == message


def test_an_answer_without_needs_reply_is_an_answer_with_nothing_attached() -> None:
    answer = contract.HospitalAnswer.model_validate(SAMPLES[contract.ANSWER][1]())
    assert answer.needs_reply is False and answer.attachments == []


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation setting `path` (dotted; list items by index) to `value`; a MISSING value deletes."""

    def mutate(message: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = message
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if value is MISSING:
            del target[last]
        else:
            target[last] = value

    return mutate


MISSING = object()
TOO_MANY = [INLINE] * 11

INVALID: list[tuple[str, str, int, Callable[[dict[str, Any]], None]]] = [
    ("unknown field", contract.SUBMITTED, 0, _set("request.urgent", True)),
    ("eleven attachments", contract.SUBMITTED, 0, _set("attachments", TOO_MANY)),
    ("a GIF", contract.SUBMITTED, 0, _set("attachments.0.media_type", "image/gif")),
    ("an inline attachment over 512 KiB", contract.SUBMITTED, 0, _set("attachments.0.size", 512 * 1024 + 1)),
    ("a stored attachment over 20 MiB", contract.SUBMITTED, 1, _set("attachments.0.size", 20 * 1024 * 1024 + 1)),
    ("an attachment both inline and stored", contract.SUBMITTED, 0, _set("attachments.0.object", "x")),
    ("a board on a consultation", contract.SUBMITTED, 0, _set("request.board", "ONCO-DIG")),
    ("a tumor board without its board", contract.SUBMITTED, 1, _set("request.board", None)),
    ("a consultation without its reason", contract.SUBMITTED, 0, _set("request.fields.reason", MISSING)),
    ("a field the form does not have", contract.SUBMITTED, 0, _set("request.fields.diagnosis", "x")),
    ("an escape sequence in a form's text", contract.SUBMITTED, 1, _set("request.fields.question", "a\x1b[2Jb")),
    ("a form's text too long", contract.SUBMITTED, 2, _set("request.fields.text", "x" * 20_001)),
    ("a typed patient without its id", contract.SUBMITTED, 1, _set("patient.id", MISSING)),
    ("a patient without a name", contract.SUBMITTED, 0, _set("patient.family_name", "")),
    ("a physician with two numbers", contract.SUBMITTED, 0, _set("physician.rpps", RPPS)),
    ("a physician without names", contract.SUBMITTED, 2, _set("physician.family_name", MISSING)),
    ("a GLN of letters", contract.SUBMITTED, 0, _set("physician.gln", "760100000000A")),
    ("a time without its zone", contract.SUBMITTED, 0, _set("request.submitted_at", "2026-12-01T09:00:00")),
    ("a subject with a NUL", contract.SUBMITTED, 0, _set("request.subject", "a\x00b")),
    ("a needs_reply that is not a boolean", contract.ANSWER, 0, _set("needs_reply", "maybe")),
    ("an answer without its author", contract.ANSWER, 0, _set("message.author", MISSING)),
    ("a status the contract does not name", contract.STATUS_FROM_HOSPITAL, 0, _set("status", "done")),
    ("a staff status without who set it", contract.STATUS_FROM_STAFF, 0, _set("by", MISSING)),
    ("a message too long", contract.PHYSICIAN_MESSAGE, 0, _set("message.text", "x" * 20_001)),
    ("a message's author (the physician is the request's)", contract.PHYSICIAN_MESSAGE, 0, _set("message.author", "x")),
    ("a service code with a space", contract.SERVICES, 0, _set("service.code", "ONCO DIG")),
]


@pytest.mark.parametrize(("subject", "index", "mutate"), [case[1:] for case in INVALID], ids=[c[0] for c in INVALID])
def test_a_bad_message_is_refused_by_its_model_and_its_schema(
    subject: str, index: int, mutate: Callable[[dict[str, Any]], None]
) -> None:
    message = SAMPLES[subject][index]()
    mutate(message)
    assert _schema_errors(subject, message), "the schema took it"
    with pytest.raises(ValidationError):
        MODELS[subject].model_validate_json(json.dumps(message))


def test_a_bad_form_is_refused_by_place_and_rule_never_by_its_text() -> None:
    message = submitted("consultation")
    message["request"]["fields"]["reason"] = "Muster Anna " * 100
    del message["request"]["fields"]["question"]
    with pytest.raises(ValidationError) as refused:
        contract.SubmittedRequest.model_validate(message)
    reason = str(refused.value.errors(include_input=False)[0]["msg"])
    assert "$.reason: maxLength" in reason and "required question" in reason
    assert "Muster" not in reason


def test_a_physician_is_written_with_one_number_and_the_names() -> None:
    by_gln = contract.named_physician(PhysicianRef(gln=GLN), "Favre", "Claire")
    by_rpps = contract.named_physician(PhysicianRef(rpps=RPPS), "Roux", "Paul")
    assert by_gln.model_dump() == {"gln": GLN, "family_name": "Favre", "given_name": "Claire"}
    assert by_rpps.model_dump() == {"rpps": RPPS, "family_name": "Roux", "given_name": "Paul"}


def test_the_submitted_schema_takes_fields_from_the_kinds_schemas() -> None:
    """The kinds' forms are described once, in their files: the message's schema refers to them."""
    rules = load(contract.SUBMITTED)["$defs"]["Request"]["allOf"]
    refs = {rule["if"]["properties"]["kind"]["const"]: rule["then"]["properties"].get("fields") for rule in rules}
    assert {kind: refs[kind] for kind in FIELDS} == {kind: {"$ref": f"{kind}.fields.schema.json"} for kind in FIELDS}
    mixed = submitted("consultation")
    mixed["request"]["fields"] = FIELDS["tumor_board"]
    assert _schema_errors(contract.SUBMITTED, mixed), "the consultation's schema was not followed"
    full = submitted("tumor_board")
    full["attachments"] = [STORED] * 10
    assert _schema_errors(contract.SUBMITTED, full) == []
