"""The JSON Schemas (draft 2020-12) of the contract's requests part (CONTRACT.md 1.1, "Schemas"),
and the checks the portal makes with them.

This directory holds two kinds of file, each named by its `$id`'s last part:

- `<subject>.schema.json`, one per `dpi.services`, `dpi.requests.*` and `portal.requests.*`
  message, generated from the models of `common/contracts/hospital_requests.py`: never edited by
  hand, written again by `make schemas` (`python -m common.contracts.schemas --write`); a unit
  test fails while one is stale.
- `<kind>.fields.schema.json`, one per request kind (consultation, tumor_board, message): what
  `request.fields` of `portal.requests.submitted` holds, written by hand as data, since the
  forms are drawn from them. Each property has `title` and `description` in French (the
  portal's language) and `x-title-<language>`, `x-description-<language>` in German (de), Italian
  (it) and English (en); every string a `maxLength` and the control-character `pattern`;
  `x-multiline: true` marks a text written over several lines; a choice has its `enum` and each
  value's label in `x-enum-titles` (French) and `x-enum-titles-<language>`; properties come in the form's order; `required` is what a submitted
  request must hold (a draft may miss any of it). The request's own fields (service, subject,
  urgency, patient, attachments) are the contract's, not the kind's, and every form has them.

`portal.requests.submitted`'s schema references the kind's file from `request.fields`
(`if kind is ... then fields: {"$ref": "<kind>.fields.schema.json"}`), resolved against its
`$id`: one schema checks a whole submission, and the kinds' files stay the single description of
each form.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

DIRECTORY = Path(__file__).resolve().parent
BASE_URI = "https://portail.hopital.example.ch/contract/1.1/schemas/"
"""The schemas' `$id`s start here: names that identify them, whether or not a server publishes them."""
DRAFT = "https://json-schema.org/draft/2020-12/schema"

NO_CONTROL_CHARACTERS = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$"
"""What `ContractMessage` refuses in a text, as a schema's pattern: C0 controls but tab, LF, CR; DEL."""


class SchemaViolation(Exception):
    """A message that does not follow its schema; `problems` names the places and rules, never values."""

    def __init__(self, name: str, problems: str) -> None:
        super().__init__(f"{name}: {problems}")
        self.problems = problems


def file_name(name: str) -> str:
    """The file of a subject's schema (`portal.requests.status`) or of a kind's `fields` (`consultation.fields`)."""
    return f"{name}.schema.json"


def fields_schema_name(kind: str) -> str:
    return f"{kind}.fields"


def load(name: str) -> dict[str, Any]:
    """The schema as it is on disk."""
    schema: dict[str, Any] = json.loads((DIRECTORY / file_name(name)).read_text(encoding="utf-8"))
    return schema


@cache
def _registry() -> Registry[Any]:
    """Every schema of the directory by its `$id`, so that one may `$ref` another by file name."""
    resources = (
        Resource.from_contents(json.loads(path.read_text("utf-8"))) for path in DIRECTORY.glob("*.schema.json")
    )
    return Registry().with_resources((resource.id() or "", resource) for resource in resources)


@cache
def validator(name: str) -> Draft202012Validator:
    """A validator of the schema `name` (a subject, or `<kind>.fields`); formats (`date`) checked."""
    return Draft202012Validator(load(name), registry=_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def describe(errors: Iterable[ValidationError]) -> str:
    """Where and which rule, never the value (it may be a patient's data): `$.request.fields.reason: maxLength`."""
    parts: dict[str, None] = {}  # in order, once: `required` is one error per missing field, each naming all
    for error in sorted(errors, key=lambda error: error.json_path):
        rule = str(error.validator)
        if rule == "required" and isinstance(error.instance, Mapping) and isinstance(error.validator_value, list):
            missing = [key for key in error.validator_value if key not in error.instance]
            rule = f"required {', '.join(missing)}"
        parts[f"{error.json_path}: {rule}"] = None
    return "; ".join(list(parts)[:5])


def fields_problems(kind: str, fields: Mapping[str, Any]) -> str:
    """What keeps `fields` from being the kind's form ("" when nothing does)."""
    return describe(validator(fields_schema_name(kind)).iter_errors(fields))


@cache
def _draft_validator(kind: str) -> Draft202012Validator:
    schema = {key: value for key, value in load(fields_schema_name(kind)).items() if key != "required"}
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def draft_fields_problems(kind: str, fields: Mapping[str, Any]) -> str:
    """What keeps `fields` from being a draft of the kind's form: its rules but the required
    answers, which a draft may still lack ("" when nothing does)."""
    return describe(_draft_validator(kind).iter_errors(fields))


def validate_published(subject: str, message: Mapping[str, Any] | bytes) -> None:
    """Check a message the portal is about to publish (its JSON, or the JSON's bytes) against the
    subject's schema; raise SchemaViolation if it does not follow it, LookupError if it has none."""
    if not (DIRECTORY / file_name(subject)).is_file():
        raise LookupError(f"no schema for {subject}")
    instance = json.loads(message) if isinstance(message, bytes) else message
    problems = describe(validator(subject).iter_errors(instance))
    if problems:
        raise SchemaViolation(subject, problems)
