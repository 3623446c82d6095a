"""A request kind's form, read from its JSON Schema (common/contracts/schemas): the same one the
contract publishes, so the pages never spell out a form of their own."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from common.contracts.schemas import fields_schema_name, load


@dataclass(frozen=True)
class FormField:
    name: str
    title: str
    description: str
    max_length: int
    multiline: bool
    required: bool
    choices: tuple[tuple[str, str], ...] = ()
    """A choice's values and labels, in the schema's order (its `enum`); none for a text."""


@cache
def form_fields(kind: str, locale: str) -> tuple[FormField, ...]:
    """The kind's questions in the schema's order, titled in `locale`: French (`title`...), or the
    schema's `x-title-<locale>`, `x-description-<locale>`, `x-enum-titles-<locale>` (de, it, en)."""
    schema = load(fields_schema_name(kind))
    required = set(schema.get("required", []))
    suffix = "" if locale == "fr" else f"-{locale}"
    return tuple(
        FormField(
            name=name,
            title=prop.get(f"x-title{suffix}", prop["title"]),
            description=prop.get(f"x-description{suffix}", prop.get("description", "")),
            max_length=int(prop.get("maxLength", 1000)),
            multiline=bool(prop.get("x-multiline", False)),
            required=name in required,
            choices=tuple(
                (value, prop.get(f"x-enum-titles{suffix}", prop.get("x-enum-titles", {})).get(value, value))
                for value in prop.get("enum", ())
            ),
        )
        for name, prop in schema["properties"].items()
    )
