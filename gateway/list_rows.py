"""What the lists written without Jinja share (gateway/document_rows.py, gateway/inbox_rows.py):
the one place their free text is escaped.

Through Jinja, each value of a row went through `escape()` and became a Markup object; a page's
rows cost more than everything else on it. A list's free-text values are escaped together in
one pass instead, then split back.
"""

from __future__ import annotations

from html import escape

# Cannot appear in a value escaped together with others (the JSON of the bus may carry it: then
# each value is escaped on its own).
_SEPARATOR = "\x00"


def escaped_together(values: list[str]) -> list[str]:
    """Each value escaped for HTML text and attributes: one `escape()` over them all (a page has a
    hundred or more), split back; one by one if a value holds the separator."""
    escaped = escape(_SEPARATOR.join(values)).split(_SEPARATOR)
    return escaped if len(escaped) == len(values) else [escape(value) for value in values]
