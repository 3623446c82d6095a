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
        "patient_hospital_id": f"P-{number}",
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
    # The list's date is the one received on; the document's own date is under its title.
    assert '<td data-label="Reçu le"><time datetime="2026-03-04T05:07Z">04.03.2026 06:07</time>' in html  # Zurich
    assert '<span class="document-date">du 04.03.2026</span>' in html
    assert "né(e) le 02.01.1950" in html and '<td data-label="Catégorie">Résultats de laboratoire</td>' in html
    # On a phone each cell is a line under its column's name, in the locale's words.
    assert '<td data-label="Reçu le"><time' in html and '<td data-label="Patient">' in html
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


def test_namesakes_are_told_apart_by_birth_date_and_hospital_patient_id(rows: DocumentRows) -> None:
    twins = [
        summary(1, patient_name="DUPONT Jean", patient_birth_date=date(1950, 1, 2), patient_hospital_id="P-100"),
        summary(2, patient_name="DUPONT Jean", patient_birth_date=date(1961, 7, 8), patient_hospital_id="P-200"),
    ]
    first, second = (
        re.sub(r"</?span[^>]*>", "", row) for row in str(rows(twins, show_patient=True)).strip().split("\n")
    )
    assert "né(e) le 02.01.1950 · patient n° P-100" in first
    assert "né(e) le 08.07.1961 · patient n° P-200" in second
