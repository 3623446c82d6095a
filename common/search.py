"""Searching names as people type them: without case or accents, anywhere in the name."""

from __future__ import annotations

import unicodedata


def search_form(name: str) -> str:
    """A name without case or accents, as searched: 'Müller Élodie' -> 'muller elodie'."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def contains_pattern(text: str) -> str:
    """A LIKE pattern finding `text` (in its search form) anywhere, its own wildcards taken literally."""
    escaped = search_form(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
