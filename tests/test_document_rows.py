"""The documents list's rows: hospital text is escaped wherever it lands, row by row in its place."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from aiohttp import web

from common.contracts.documents import DocumentSummary
from gateway.document_rows import DocumentRows
from gateway.i18n import TEMPLATES_KEYS, setup_templates
from gateway.locale_formats import LocaleFormats


@pytest.fixture(scope="module")
def rows() -> DocumentRows:
    app = web.Application()
    setup_templates(app, {"csrf_input": lambda: ""})
    return app[TEMPLATES_KEYS["fr"]].globals["document_rows"]


def summary(number: int, **fields: object) -> DocumentSummary:
    values: dict[str, object] = {
        "id": f"delivery-{number}",
        "patient_id": f"patient-{number}",
        "title": f"Title {number}",
        "category": "lab_report",
        "service": "Cardiologie",
        "author": "Dr A",
        "version": 1,
        "corrected": False,
        "current": True,
        "created_at": datetime(2026, 3, 4, 5, 6, tzinfo=UTC),
        "delivered_at": datetime(2026, 3, 4, 5, 7, tzinfo=UTC),
        "unread": False,
        "patient_name": f"Patient {number}",
        "patient_birth_date": date(1950, 1, 2),
        "media_type": "application/pdf",
        "size": 1024,
    }
    return DocumentSummary.model_validate(values | fields)


def test_hospital_text_is_escaped_in_every_cell(rows: DocumentRows) -> None:
    hostile = summary(
        1,
        title='<script>alert("t")</script>',
        patient_name="O'Brien & <b>Co</b>",
        service='"><img src=x>',
        patient_id='p"1',
        id="d<1>",
    )
    html = str(rows([hostile], show_patient=True))
    assert "<script>" not in html and "<b>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;" in html
    assert "O&#x27;Brien &amp; &lt;b&gt;Co&lt;/b&gt;" in html
    assert 'href="/patients/p&quot;1"' in html and 'href="/documents/d&lt;1&gt;/view"' in html


def test_each_value_stays_in_its_own_row_even_with_a_nul_character(rows: DocumentRows) -> None:
    documents = [summary(1), summary(2, service="Radio\x00logie", title="Second"), summary(3)]
    html = str(rows(documents, show_patient=False))
    lines = html.strip().split("\n")
    assert len(lines) == 3
    assert "Title 1" in lines[0] and "Second" in lines[1] and "Radio\x00logie" in lines[1] and "Title 3" in lines[2]
    assert [re.search(r'href="/documents/([^"/]+)"', line).group(1) for line in lines] == [  # type: ignore[union-attr]
        "delivery-1",
        "delivery-2",
        "delivery-3",
    ]
    assert "patient-name" not in html


def test_dates_labels_and_marks_are_the_locales(rows: DocumentRows) -> None:
    html = str(rows([summary(1, unread=True, corrected=True, version=2)], show_patient=True))
    assert html.startswith('<tr class="unread">')
    assert '<time datetime="2026-03-04T05:06Z">04.03.2026 06:06</time>' in html  # Zurich time
    assert "né(e) le 02.01.1950" in html and '<td data-label="Catégorie">Résultats de laboratoire</td>' in html
    # On a phone each cell is a line under its column's name, in the locale's words.
    assert '<td data-label="Date"><time' in html and '<td data-label="Patient">' in html
    assert "badge-corrected" in html and 'class="badge"' in html


@pytest.mark.parametrize(
    ("utc", "shown"),
    [
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "29.03.2026 01:59"),  # CET, the minute before the change
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "29.03.2026 03:00"),  # CEST from 01:00 UTC
        (datetime(2026, 10, 25, 0, 59, tzinfo=UTC), "25.10.2026 02:59"),
        (datetime(2026, 10, 25, 1, 0, tzinfo=UTC), "25.10.2026 02:00"),  # CET again
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "01.01.2027 00:30"),  # the next local day
        (datetime(1969, 12, 31, 23, 59, 30, tzinfo=UTC), "01.01.1970 00:59"),  # before the epoch
    ],
)
def test_moments_are_shown_in_zurich_time_across_the_clock_changes(utc: datetime, shown: str) -> None:
    formats = LocaleFormats("fr")
    assert formats.moment(utc) == shown
    minute = utc.replace(second=0).strftime("%Y-%m-%dT%H:%M")
    assert formats.time_element(utc) == f'<time datetime="{minute}Z">{shown}</time>'
