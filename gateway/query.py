"""Reading the filters of a list page from its query string, checked once, kept for its links.

A GET filter form sends every field, empty ones included: an empty field is no filter. A value
no form of ours can send (an unknown category) is an invalid request. A date is typed by the
physician: a wrong one is a field error (the page says how to write it), not a bad request.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any
from urllib.parse import urlencode

from common.errors import InvalidRequest, NotFound

from .locale_formats import formats_for

MAX_PAGE = 100_000  # the services' own bound on `page`

_TYPED_DAY_MAX = 40  # a wrong date is shown again as typed, up to this length
_DIGITS = re.compile(r"[0-9]{1,6}")


class ListQuery:
    """The filters a list page was asked for, and the query string that keeps them in its links."""

    def __init__(self, query: Mapping[str, str], locale: str = "fr") -> None:
        self._query = query
        self._locale = locale  # the page's: dates are read and shown again as it writes them
        self._read: dict[str, str] = {}
        self._kept: dict[str, str] = {}
        self._problems: dict[str, str] = {}

    def page(self) -> int:
        """The page asked for; one that cannot exist is a page not found, like any bad URL."""
        raw = self._query.get("page", "1")
        if not (_DIGITS.fullmatch(raw) and 1 <= int(raw) <= MAX_PAGE):
            raise NotFound()
        return int(raw)

    def listing(self, path: str, total: int, page: int, per_page: int) -> dict[str, Any]:
        """What a paginated list's template needs: counts, pages, the filters its links keep.

        A page beyond the last one is not found (the first page of an empty list exists).
        """
        pages = max(1, math.ceil(total / per_page))
        if page > pages:
            raise NotFound()
        return {
            "total": total,
            "page": page,
            "pages": pages,
            "list_path": path,
            "kept": self.kept,
            "filtered": self.filtered,
            "values": self.values,
            "filter_problems": self._problems,
        }

    def text(self, name: str, max_length: int) -> str | None:
        """Free text (a name to search for), trimmed; None when empty."""
        value = self._query.get(name, "").strip()
        if len(value) > max_length:
            raise InvalidRequest(f"{name} is too long")
        return self._keep(name, value) or None

    def choice(self, name: str, allowed: Iterable[str]) -> str | None:
        """One of `allowed`, or None when empty."""
        value = self._query.get(name, "")
        if value and value not in allowed:
            raise InvalidRequest(f"{name} is not one of the choices")
        return self._keep(name, value) or None

    def day(self, name: str) -> date | None:
        """A calendar date as the locale writes it (or ISO), or None when empty. A wrong one is
        no filter and a problem of its field (`status` is then 400), shown again as typed."""
        value = self._query.get(name, "").strip()
        if not value:
            self._keep(name, "")
            return None
        formats = formats_for(self._locale)
        try:
            day = formats.parse_day(value)
        except ValueError:
            self._read[name] = value[:_TYPED_DAY_MAX]
            self._problems[name] = "date"
            return None
        self._kept[name] = day.isoformat()  # links carry ISO dates, whatever the language
        self._read[name] = formats.day(day)
        return day

    def flag(self, name: str) -> bool:
        """A checkbox: checked when sent with any value."""
        return bool(self._keep(name, "1" if self._query.get(name) else ""))

    @property
    def status(self) -> int:
        """The page's HTTP status: 400 when a field has a problem."""
        return 400 if self._problems else 200

    @property
    def values(self) -> Mapping[str, str]:
        """Every filter read, "" when empty, to show them again in the form."""
        return self._read

    @property
    def kept(self) -> str:
        """The filters as a query string (without the page), for pagination links."""
        return urlencode(self._kept)

    @property
    def filtered(self) -> bool:
        """Whether any filter is set (the page then offers to reset them)."""
        return bool(self._kept)

    def _keep(self, name: str, value: str) -> str:
        self._read[name] = value
        if value:
            self._kept[name] = value
        return value
