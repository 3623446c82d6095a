"""The rows of a documents list (Mes documents, a patient's documents), written directly.

Through Jinja, a page of 25 rows cost the gateway more than everything else on the page: each
value went through `escape()` and became a Markup object. Here a row is one string: the page's
free-text values (ids, names, titles, services) are escaped together in one pass (list_rows.py),
and what the gateway formats itself (category label, birth date, date and time) is escaped once
per distinct value and remembered. The labels and formats are the locale's own, the same filters
the templates use. `_documents_region.html` places the rows in its table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from functools import lru_cache
from html import escape
from operator import attrgetter
from typing import Any

from markupsafe import Markup

from .labels import BORN, DATED, PATIENT_NUMBER
from .list_rows import escaped_together
from .locale_formats import DISPLAY_TIMEZONE, LocaleFormats

Filter = Callable[[Any], str]

_UNREAD_ROW = ' class="unread"'

# The free-text fields of a row, in the order `_row` takes them.
_TEXTS = ("id", "patient_id", "patient_name", "patient_hospital_id", "title", "service")
_texts_of = attrgetter(*_TEXTS)


class DocumentRows:
    """Renders `<tr>` rows for one locale."""

    def __init__(
        self,
        formats: LocaleFormats,
        filters: dict[str, Filter],
        gettext: Callable[[str], str],
        categories: Sequence[str],
    ) -> None:
        category = filters["category"]
        self._categories = {code: escape(category(code)) for code in categories}
        self._other_category = category
        self._born = _on_day(formats, gettext(BORN), filters["born"])
        # The document's own date, under its title: the list's date is the one it was received on.
        self._dated = _on_day(formats, gettext(DATED), lambda day: gettext(DATED) % {"date": formats.day(day)})
        before, _, after = gettext(PATIENT_NUMBER).partition("%(id)s")
        self._number = (escape(before.replace("%%", "%")), escape(after.replace("%%", "%")))
        self._time = formats.time_element
        # Constant labels, escaped once. The title is the row's header: it gives each Open and
        # Download link its context for assistive technologies.
        self._unread = f'<span class="badge">{escape(gettext("unread"))}</span>'
        self._corrected = f'<span class="badge badge-corrected">{escape(gettext("corrected"))}</span>'
        self._open, self._download = escape(gettext("Open")), escape(gettext("Download"))
        # On a phone each cell is a line under its column's name (portal.css): the names, escaped once.
        self._patient_cell, self._category_cell, self._service_cell, self._date_cell = (
            f'<td data-label="{escape(gettext(name))}">' for name in ("Patient", "Category", "Service", "Received on")
        )

    def __call__(self, documents: Sequence[Any], show_patient: bool) -> Markup:
        texts = escaped_together([value for document in documents for value in _texts_of(document)])
        width = len(_TEXTS)
        return Markup(
            "".join(
                self._row(document, texts[index * width : index * width + width], show_patient)
                for index, document in enumerate(documents)
            )
        )

    def _category(self, code: str) -> str:
        label = self._categories.get(code)
        return escape(self._other_category(code)) if label is None else label

    def _row(self, d: Any, texts: list[str], show_patient: bool) -> str:
        delivery_id, patient_id, patient_name, hospital_id, title, service = texts
        href = "/documents/" + delivery_id
        # Namesakes told apart: the birth date and the hospital's patient id, always, in a compact line.
        patient = (
            f'{self._patient_cell}<a class="patient-name" href="/patients/{patient_id}">{patient_name}</a>'
            f'<span class="patient-birth"><span class="unbroken">{self._born(d.patient_birth_date)}</span> · '
            f'<span class="unbroken">{self._number[0]}{hospital_id}{self._number[1]}</span></span></td>'
            if show_patient
            else ""
        )
        dated = self._dated(d.created_at.astimezone(DISPLAY_TIMEZONE).date())
        return (
            f"<tr{_UNREAD_ROW if d.unread else ''}>{patient}"
            f'<th scope="row">{self._unread if d.unread else ""}{self._corrected if d.corrected else ""}'
            f'<a href="{href}">{title}</a><span class="document-date">{dated}</span></th>'
            f"{self._category_cell}{self._category(d.category)}</td>{self._service_cell}{service}</td>"
            f"{self._date_cell}{self._time(d.delivered_at)}</td>"
            f'<td class="actions"><a href="{href}/view">{self._open}</a> '
            f'<a href="{href}/download">{self._download}</a></td></tr>\n'
        )


def _on_day(formats: LocaleFormats, label: str, slow: Filter) -> Callable[[date], str]:
    """ "born 02/01/1950" (`label` of a day), escaped: one format call when the locale writes dates
    in numbers, else `slow`'s, remembered."""
    day_format = formats.day_format()
    if day_format is None or label.count("%(date)s") != 1 or "{" in label or "}" in label:
        return lru_cache(maxsize=16384)(lambda day: escape(slow(day)))
    before, after = (escape(part.replace("%%", "%")) for part in label.split("%(date)s"))
    pattern = f"{before}{escape(day_format)}{after}"
    return lambda day: pattern.format(day=day.day, month=day.month, year=day.year)
