"""The message schemas, generated from the contract's models: what is on disk must be this."""

from __future__ import annotations

import json
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from ..hospital import ContractMessage
from ..hospital_requests import INCOMING, KIND_RULES, OUTGOING, Request
from . import BASE_URI, DIRECTORY, DRAFT, NO_CONTROL_CHARACTERS, file_name

MESSAGES: dict[str, type[ContractMessage]] = {**INCOMING, **OUTGOING}
"""Every message of the requests part, by subject: each has a generated schema."""

RULES: dict[str, list[Any]] = {Request.__name__: KIND_RULES}
"""What a model's validator checks beyond its fields, added to its definition as `allOf`."""

RFC_3339 = "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
"""A time with its zone, as the contract writes times (and `AwareDatetime` takes them)."""


class ContractJsonSchema(GenerateJsonSchema):
    """pydantic's schema, saying what the models check beyond it: no control characters in any
    text, a zone in every time; no titles on fields (the subject and the model's docstring say it)."""

    def str_schema(self, schema: core_schema.StringSchema) -> JsonSchemaValue:
        value = super().str_schema(schema)
        value.setdefault("pattern", NO_CONTROL_CHARACTERS)
        return value

    def datetime_schema(self, schema: core_schema.DatetimeSchema) -> JsonSchemaValue:
        return {**super().datetime_schema(schema), "pattern": RFC_3339}

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def message_schema(subject: str) -> dict[str, Any]:
    """The schema of the subject's message, as it must be on disk."""
    model = MESSAGES[subject]
    generated = model.model_json_schema(schema_generator=ContractJsonSchema)
    for name, definition in generated.get("$defs", {}).items():
        if name in RULES:
            definition["allOf"] = RULES[name]
    return {"$schema": DRAFT, "$id": BASE_URI + file_name(subject), **generated, "title": subject}


def as_text(schema: dict[str, Any]) -> str:
    """How a schema is written to its file: stable (diffs show changes), UTF-8, one final newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def stale() -> list[str]:
    """The subjects whose file is missing or differs from what the models generate."""
    return [
        subject
        for subject in sorted(MESSAGES)
        if not (path := DIRECTORY / file_name(subject)).is_file()
        or path.read_text(encoding="utf-8") != as_text(message_schema(subject))
    ]


def write() -> list[str]:
    """Write every stale schema; the subjects written."""
    written = stale()
    for subject in written:
        (DIRECTORY / file_name(subject)).write_text(as_text(message_schema(subject)), encoding="utf-8")
    return written
