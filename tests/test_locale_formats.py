"""Dates as each locale writes them (Swiss usage: dots in French, German and Italian; British
English), and the one parser of the date fields."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from gateway import labels
from gateway.i18n import LOCALES_DIR, load_translations
from gateway.locale_formats import LocaleFormats, formats_for
from gateway.query import ListQuery


@pytest.mark.parametrize(
    ("locale", "day", "moment"),
    [
        ("fr", "30.01.1990", "30.01.1990 14:05"),
        ("de", "30.01.1990", "30.01.1990 14:05"),
        ("it", "30.01.1990", "30.01.1990 14:05"),
        ("en", "30/01/1990", "30/01/1990 14:05"),
    ],
)
def test_each_locale_writes_day_month_year(locale: str, day: str, moment: str) -> None:
    formats = LocaleFormats(locale)
    assert formats.day(date(1990, 1, 30)) == day
    assert formats.moment(datetime(1990, 1, 30, 13, 5, tzinfo=UTC)) == moment  # Zurich: UTC+1 in winter
    assert f">{moment}</time>" in formats.time_element(datetime(1990, 1, 30, 13, 5, tzinfo=UTC))


@pytest.mark.parametrize("locale", ["fr", "de", "it", "en"])
@pytest.mark.parametrize(
    "typed", ["30.01.2026", "30/01/2026", "30-01-2026", "2026-01-30", " 30.1.2026 ", "30 . 01 . 2026", "30012026"]
)
def test_a_typed_date_is_read_in_the_locales_order_or_iso(locale: str, typed: str) -> None:
    assert formats_for(locale).parse_day(typed) == date(2026, 1, 30)


def test_single_digit_day_and_month() -> None:
    assert formats_for("fr").parse_day("3.1.2026") == date(2026, 1, 3)
    assert formats_for("en").parse_day("3/1/2026") == date(2026, 1, 3)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "yesterday",
        "31.02.2026",
        "1.1.26",
        "30.01/2026",
        "2026/01/30",
        "30.13.2026",
        "300.1.2026",
        "3012026",
        "30 01 2026",
        "3001 2026",
    ],
)
def test_anything_else_is_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        formats_for("fr").parse_day(typed)


@pytest.mark.parametrize(
    "locale", sorted({"en", *(path.parent.parent.name for path in LOCALES_DIR.glob("*/LC_MESSAGES/messages.po"))})
)
def test_the_date_fields_placeholder_is_written_as_the_locale_writes_dates(locale: str) -> None:
    """JJ.MM.AAAA in French, TT.MM.JJJJ in German…: a catalogue's translation of the placeholder
    has the locale's separators and lengths (the date fields' hint and error say it too)."""
    placeholder = load_translations(locale).gettext("DD/MM/YYYY")
    assert re.sub(r"\w", "x", placeholder) == re.sub(r"\d", "x", formats_for(locale).day(date(1990, 1, 30)))


def test_a_list_filter_reads_the_date_in_the_pages_language_and_keeps_a_wrong_one_as_typed() -> None:
    query = ListQuery({"from": "1.2.2026", "to": "2026-02-03"}, "de")
    assert (query.day("from"), query.day("to")) == (date(2026, 2, 1), date(2026, 2, 3))
    assert query.values == {"from": "01.02.2026", "to": "03.02.2026"} and query.status == 200
    assert query.kept == "from=2026-02-01&to=2026-02-03"  # links carry ISO dates
    wrong = ListQuery({"from": "32.01.2026", "to": "31/01/2026"}, "en")
    assert (wrong.day("from"), wrong.day("to")) == (None, date(2026, 1, 31))
    assert wrong.values == {"from": "32.01.2026", "to": "31/01/2026"} and wrong.status == 400
    assert wrong.listing("/documents", 0, 1, 25)["filter_problems"] == {"from": "date"}
    assert wrong.kept == "to=2026-01-31"


def test_practice_numbers_read_as_people_write_them_and_are_searched_as_recorded() -> None:
    assert labels.readable_numbers("sent to gln:7601000000003 by hand") == "sent to GLN 7601000000003 by hand"
    assert labels.readable_numbers(None) == "–"
    assert labels.recorded_number(" GLN 7601000000003 ") == "gln:7601000000003"
    assert labels.recorded_number("rpps:10101010101") == "rpps:10101010101"
    assert labels.recorded_number("a1b2-uuid") == "a1b2-uuid"
