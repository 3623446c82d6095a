"""The rows of a documents list (Mes documents, a patient's documents), written directly.

Through Jinja, a page of 25 rows cost the gateway more than everything else on the page: each
value went through `escape()` and became a Markup object. Here every value is escaped once by
the standard library and a row is one string; the labels and formatters are the locale's own,
the same filters the templates use. `_documents_region.html` places the rows in its table.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape
from typing import Any

from markupsafe import Markup

Filter = Callable[[Any], str]

_UNREAD_ROW = ' class="unread"'


class DocumentRows:
    """Renders `<tr>` rows for one locale."""

    def __init__(self, filters: dict[str, Filter], gettext: Callable[[str], str]) -> None:
        self._born, self._category = filters["born"], filters["category"]
        self._moment, self._iso = filters["moment"], filters["iso"]
        # Constant labels, escaped once. The title is the row's header: it gives each Open and
        # Download link its context for assistive technologies.
        self._unread = f'<span class="badge">{escape(gettext("unread"))}</span>'
        self._corrected = f'<span class="badge badge-corrected">{escape(gettext("corrected"))}</span>'
        self._open, self._download = escape(gettext("Open")), escape(gettext("Download"))

    def __call__(self, documents: Iterable[Any], show_patient: bool) -> Markup:
        return Markup("".join(self._row(document, show_patient) for document in documents))

    def _row(self, d: Any, show_patient: bool) -> str:
        href = "/documents/" + escape(d.id)
        patient = (
            f'<td><a class="patient-name" href="/patients/{escape(d.patient_id)}">{escape(d.patient_name)}</a>'
            f'<span class="patient-birth">{escape(self._born(d.patient_birth_date))}</span></td>'
            if show_patient
            else ""
        )
        return (
            f"<tr{_UNREAD_ROW if d.unread else ''}>{patient}"
            f'<th scope="row">{self._unread if d.unread else ""}{self._corrected if d.corrected else ""}'
            f'<a href="{href}">{escape(d.title)}</a></th>'
            f"<td>{escape(self._category(d.category))}</td><td>{escape(d.service)}</td>"
            f'<td><time datetime="{escape(self._iso(d.created_at))}">{escape(self._moment(d.created_at))}</time></td>'
            f'<td class="actions"><a href="{href}/view">{self._open}</a> '
            f'<a href="{href}/download">{self._download}</a></td></tr>\n'
        )
