"""A service's inbox rows: the requests' text is escaped wherever it lands, row by row in its place."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from aiohttp import web

from common.contracts.requests import InboxItem
from gateway.i18n import TEMPLATES_KEYS, setup_templates
from gateway.inbox_rows import InboxRows

HOSTILE = "\"><script>alert(1)</script>&amp;'<b>"
ESCAPED = "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;amp;&#x27;&lt;b&gt;"


@pytest.fixture(scope="module", params=["fr", "en"])
def rows(request: pytest.FixtureRequest) -> InboxRows:
    app = web.Application()
    setup_templates(app, {"csrf_input": lambda: ""})
    return app[TEMPLATES_KEYS[request.param]].globals["inbox_rows"]


def item(number: int, **fields: object) -> InboxItem:
    values: dict[str, object] = {
        "id": f"request-{number}",
        "kind": "consultation",
        "subject": f"Avis {number}",
        "urgency": "routine",
        "status": "submitted",
        "physician_name": "Dr Jean Test",
        "patient_name": "Muller Anna",
        "submitted_at": datetime(2026, 3, 4, 5, 6, tzinfo=UTC),
        "taken_by_me": False,
    }
    return InboxItem.model_validate(values | fields)


def test_the_requests_text_is_escaped_in_every_cell(rows: InboxRows) -> None:
    hostile = item(1, id=HOSTILE, subject=HOSTILE, physician_name=HOSTILE, patient_name=HOSTILE)
    html = str(rows([hostile]))
    assert html.count(ESCAPED) == 4  # the link, the subject, the patient, the physician
    assert f'<a href="/inbox/requests/{ESCAPED}">{ESCAPED}</a>' in html
    assert re.search(f'<td data-label="[^"<>]+">{re.escape(ESCAPED)}</td>', html) and f" · {ESCAPED}</span>" in html
    # Without the values, only the row's own markup is left: each value stayed text.
    assert set(re.findall(r"<(/?[a-z]+)", html.replace(ESCAPED, ""))) == {
        *(tag for name in ("tr", "th", "a", "span", "td", "time") for tag in (name, f"/{name}"))
    }


def test_each_value_stays_in_its_own_row_even_with_a_nul_character(rows: InboxRows) -> None:
    items = [item(1), item(2, subject="Second\x00<i>", patient_name=None), item(3)]
    html = str(rows(items))
    lines = html.strip().split("\n")
    assert len(lines) == 3
    assert "Avis 1" in lines[0] and "Second\x00&lt;i&gt;" in lines[1] and "Avis 3" in lines[2]
    assert "Muller Anna" not in lines[1] and "Muller Anna" in lines[2]
    assert [re.search(r'href="/inbox/requests/([^"]+)"', line).group(1) for line in lines] == [  # type: ignore[union-attr]
        "request-1",
        "request-2",
        "request-3",
    ]


def test_labels_and_moments_are_the_locales() -> None:
    app = web.Application()
    setup_templates(app, {"csrf_input": lambda: ""})
    rows = app[TEMPLATES_KEYS["fr"]].globals["inbox_rows"]
    html = str(rows([item(1, kind="tumor_board", urgency="urgent", status="information_needed", taken_by_me=True)]))
    assert html == (
        '<tr><th scope="row"><a href="/inbox/requests/request-1">Avis 1</a>'
        '<span class="patient-birth">Colloque · Muller Anna</span></th>'
        '<td data-label="Médecin">Dr Jean Test</td><td data-label="Urgence">Urgente</td>'
        '<td data-label="Statut">complément demandé · à moi</td>'
        '<td data-label="Envoyée le"><time datetime="2026-03-04T05:06Z">04.03.2026 06:06</time></td></tr>\n'
    )
    english = str(app[TEMPLATES_KEYS["en"]].globals["inbox_rows"]([item(2, submitted_at=None)]))
    assert (
        '<td data-label="Urgency">Routine</td><td data-label="Status">sent</td><td data-label="Sent"></td></tr>'
        in english
    )
