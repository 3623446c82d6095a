"""Reading a posted form: a field's text, and which fields a contract refused."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError


def field(form: Mapping[str, object], name: str) -> str:
    """The text of a field; "" if it is missing or a file."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def field_problems(
    invalid: ValidationError, shown_as: Mapping[str, str] | None = None, whole: str = "form"
) -> dict[str, str]:
    """The fields a contract refused, as the form names them (`shown_as`: a contract's field ->
    the form's), each "invalid" for its template to word; a check of the whole model counts for `whole`."""
    problems: dict[str, str] = {}
    for error in invalid.errors(include_input=False, include_url=False, include_context=False):
        name = str(error["loc"][0]) if error["loc"] else whole
        problems.setdefault((shown_as or {}).get(name, name), "invalid")
    return problems
