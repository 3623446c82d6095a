"""The contract's JSON Schemas on disk (`common/contracts/schemas/`): generated ones as their models
generate them, every one a valid draft 2020-12 schema with its `$id`, every text bounded, the
kinds' forms described in both languages, and what the portal publishes checked against them.

Plain unit tests: no stack.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
from jsonschema import Draft202012Validator

from common.contracts import hospital_requests as contract
from common.contracts import schemas
from common.contracts.schemas import __main__ as command
from common.contracts.schemas import generate

from .request_contract_samples import FIELDS, SAMPLES

pytestmark = pytest.mark.unit

FILES = sorted(schemas.DIRECTORY.glob("*.schema.json"))
KINDS = get_args(contract.RequestKind)


def _strings(schema: Any, where: str = "$") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema of a string in `schema`, with where it is."""
    if isinstance(schema, dict):
        if schema.get("type") == "string":
            yield where, schema
        for key, value in schema.items():
            yield from _strings(value, f"{where}/{key}")
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            yield from _strings(value, f"{where}/{index}")


def test_the_directory_holds_a_schema_per_message_and_per_kind_and_nothing_else() -> None:
    expected = {schemas.file_name(subject) for subject in generate.MESSAGES}
    expected |= {schemas.file_name(schemas.fields_schema_name(kind)) for kind in KINDS}
    assert {path.name for path in FILES} == expected


@pytest.mark.parametrize("subject", sorted(generate.MESSAGES))
def test_each_message_schema_on_disk_is_what_its_model_generates(subject: str) -> None:
    on_disk = (schemas.DIRECTORY / schemas.file_name(subject)).read_text(encoding="utf-8")
    assert on_disk == generate.as_text(generate.message_schema(subject)), f"stale: run {command.REGENERATE}"


def test_a_stale_schema_is_found_and_written_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for path in FILES:
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    stale = tmp_path / schemas.file_name(contract.STATUS_FROM_STAFF)
    stale.write_text(stale.read_text(encoding="utf-8").replace('"closed"', '"done"'), encoding="utf-8")
    (tmp_path / schemas.file_name(contract.ANSWER)).unlink()
    monkeypatch.setattr(generate, "DIRECTORY", tmp_path)
    assert generate.stale() == [contract.ANSWER, contract.STATUS_FROM_STAFF]
    assert generate.write() == [contract.ANSWER, contract.STATUS_FROM_STAFF]
    assert generate.stale() == []


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_every_schema_is_a_draft_2020_12_schema_named_by_its_id(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == schemas.BASE_URI + path.name


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_every_text_of_every_schema_is_bounded(path: Path) -> None:
    """A text without a bound is a way to fill the database (form text is limited in length)."""
    schema = json.loads(path.read_text(encoding="utf-8"))
    unbounded = [
        where
        for where, string in _strings(schema)
        if "maxLength" not in string and "enum" not in string and string.get("format") not in ("date", "date-time")
    ]
    assert unbounded == []


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_s_form_is_described_in_the_four_languages_with_bounded_texts(kind: str) -> None:
    schema = schemas.load(schemas.fields_schema_name(kind))
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert set(schema["required"]) <= set(schema["properties"])
    for part in [schema, *schema["properties"].values()]:
        translated = [f"x-{key}-{language}" for language in ("de", "it", "en") for key in ("title", "description")]
        for key in ("title", "description", *translated):
            assert isinstance(part.get(key), str) and part[key].strip(), (kind, key)
        if "enum" in part:
            for key in ("x-enum-titles", "x-enum-titles-de", "x-enum-titles-it", "x-enum-titles-en"):
                assert set(part[key]) == set(part["enum"]), (kind, key)
    for name, field in schema["properties"].items():
        assert field["type"] == "string" and field["maxLength"] > 0, name
        assert field["pattern"] == schemas.NO_CONTROL_CHARACTERS, name
        assert field.get("minLength") == (1 if name in schema["required"] else None), name


def test_the_forms_ask_what_the_issue_asks() -> None:
    """Issue 13 (F3.1, F3.2, F3.3); a consultation's urgency is the request's (`request.urgency`)."""
    assert list(schemas.load("consultation.fields")["properties"]) == [
        "reason",
        "question",
        "clinical_information",
        "current_treatment",
    ]
    assert list(schemas.load("tumor_board.fields")["properties"]) == [
        "diagnosis",
        "histology",
        "tnm_stage",
        "earlier_treatments",
        "imaging_references",
        "pathology_references",
        "question",
    ]
    assert list(schemas.load("message.fields")["properties"]) == ["request_type", "text"]  # ask, or send documents


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_s_sample_follows_its_form_and_only_the_required_are_required(kind: str) -> None:
    assert schemas.fields_problems(kind, FIELDS[kind]) == ""
    required = schemas.load(schemas.fields_schema_name(kind))["required"]
    assert schemas.fields_problems(kind, {name: FIELDS[kind][name] for name in required}) == ""
    assert schemas.fields_problems(kind, {}) == f"$: required {', '.join(required)}"
    assert schemas.fields_problems(kind, {**FIELDS[kind], "x": "y"}) == "$: additionalProperties"


@pytest.mark.parametrize("subject", sorted(contract.OUTGOING))
def test_what_the_portal_publishes_is_checked_against_its_schema(subject: str) -> None:
    for sample in SAMPLES[subject]:
        message = sample()
        schemas.validate_published(subject, message)
        schemas.validate_published(subject, json.dumps(message).encode())
        message["event_id"] = "Muster\x00Anna"
        with pytest.raises(schemas.SchemaViolation) as refused:
            schemas.validate_published(subject, message)
        assert refused.value.problems == "$.event_id: pattern"  # the place and the rule, not the value


def test_a_message_without_a_schema_cannot_be_checked() -> None:
    with pytest.raises(LookupError):
        schemas.validate_published("portal.requests.unknown", {})
