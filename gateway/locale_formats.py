"""Dates and moments as a locale writes them, in the portal's time zone, for pages and list rows.

Its own module: the template environments (`i18n`) and the list rows (`document_rows`) both use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from html import escape
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import DateTimePattern, match_skeleton, parse_pattern
from babel.lists import format_list
from babel.units import format_unit

# The hospital and its physicians are in Switzerland and neighbouring France: one time zone.
DISPLAY_TIMEZONE = ZoneInfo("Europe/Zurich")

# Swiss usage: day.month.year with dots in French, German and Italian (30.01.1990), British
# English in English (30/01/1990); the same on every page, list row and date field. Explicit: the
# CLDR's own fr and it write 30/01/1990, and its en is American. Another locale uses the CLDR's.
DAY_PATTERNS = {"fr": "dd.MM.y", "de": "dd.MM.y", "it": "dd.MM.y", "en": "dd/MM/y"}
TIME_PATTERN = "HH:mm"

# The numeric date fields a pattern may hold, as str.format fields (babel's pattern.apply is ~10 µs).
_NUMERIC_FIELDS = {
    "d": "{day}",
    "dd": "{day:02d}",
    "M": "{month}",
    "MM": "{month:02d}",
    "y": "{year}",
    "yyyy": "{year:04d}",
}


def _numeric_format(pattern: DateTimePattern) -> str | None:
    """`dd/MM/y` as `{day:02d}/{month:02d}/{year}`; None if the pattern has anything but numeric
    day, month and year (then babel formats it)."""
    parts = re.split(r"(%\([^)]*\)s)", str(pattern.format).replace("{", "{{").replace("}", "}}"))
    converted = []
    for part in parts:
        if part.startswith("%(") and part.endswith(")s"):
            field = _NUMERIC_FIELDS.get(part[2:-2])
            if field is None:
                return None
            converted.append(field)
        else:
            converted.append(part.replace("%%", "%"))
    return "".join(converted)


_MINUTES_OF_DAY = tuple(f"{hour:02d}:{minute:02d}" for hour in range(24) for minute in range(60))
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class LocaleFormats:
    """Dates as a locale writes them, with Babel's patterns looked up once (a list page formats dozens).

    A moment is reduced to its minute since the epoch, and the display zone's offset is looked up
    per UTC hour: Europe/Zurich changes offset on the hour (01:00 UTC), so this is exact there, and
    a page's moments then cost a few integer operations and lookups instead of a time zone
    conversion and Babel's formatting each (~10 µs).
    """

    def __init__(self, locale: str) -> None:
        self.locale = Locale.parse(locale)  # for durations, and a date pattern of another locale
        # four-digit year: two digits would be ambiguous for birth dates
        self._day_pattern = parse_pattern(DAY_PATTERNS[locale]) if locale in DAY_PATTERNS else self._skeleton("yMMdd")
        self._numeric_day = _numeric_format(self._day_pattern)
        self._time_pattern = parse_pattern(TIME_PATTERN)
        # A moment: the date as above, then the time (30.01.1990 14:05); a str.format pattern.
        self._date_time = "{1} {0}"
        # The order a typed date's numbers come in (d, M, y), as the locale writes them.
        self._order = "".join(dict.fromkeys(char for char in str(self._day_pattern.pattern) if char in "dMy"))
        self.day: Callable[[date], str] = lru_cache(maxsize=16384)(self._format_day)
        """A calendar date."""
        self._calendar_day = lru_cache(maxsize=4096)(self._format_date)  # by day since the epoch
        self._clock = lru_cache(maxsize=1440)(self._format_time)  # by minute of the day
        self._iso_day = lru_cache(maxsize=4096)(lambda day: date.fromordinal(_EPOCH_ORDINAL + day).isoformat())
        # The same pieces escaped for HTML (escaping leaves the pattern's fields alone), each once.
        self._escaped_date_time = escape(self._date_time)
        self._escaped_calendar_day = lru_cache(maxsize=4096)(lambda day: escape(self._calendar_day(day)))
        self._escaped_clock = lru_cache(maxsize=1440)(lambda minute: escape(self._clock(minute)))

    def day_format(self) -> str | None:
        """The locale's calendar date as a str.format pattern of day, month and year, if it is
        only numbers (then a date costs one format call, no lookup)."""
        return self._numeric_day

    def parse_day(self, text: str) -> date:
        """A date as typed in a field: in the locale's order, day and month of one or two digits,
        a four-digit year, separated by dots, slashes or dashes (30.01.1990, 3.1.1990, 30/01/1990),
        or eight digits (30011990: a phone's number pad has no dot), or ISO (1990-01-30). Raises
        ValueError on anything else."""
        text = text.strip()
        iso = _ISO_DAY.fullmatch(text)
        typed = iso or _typed_day(self._order).fullmatch(text)
        if typed is None or (not iso and not typed.group("separator") and not _COMPACT_DAY.fullmatch(text)):
            raise ValueError("not a date")  # not what was typed: it may be a birth date
        parts = (int(part) for part in typed.group("a", "b", "c"))
        numbers = dict(zip("yMd" if iso else self._order, parts, strict=True))
        return date(numbers["y"], numbers["M"], numbers["d"])  # ValueError on 31.02.2026

    def moment(self, moment: datetime) -> str:
        """Date and time to the minute, in the portal's time zone."""
        local_day, local_minute = divmod(self._local_minute(_epoch_minute(moment)), 1440)
        return self._date_time.format(self._clock(local_minute), self._calendar_day(local_day))

    def time_element(self, moment: datetime) -> str:
        """`<time>` HTML for a moment: the UTC minute for machines, `moment()` for people; escaped."""
        minute = _epoch_minute(moment)
        utc_day, utc_minute = divmod(minute, 1440)
        local_day, local_minute = divmod(self._local_minute(minute), 1440)
        shown = self._escaped_date_time.format(self._escaped_clock(local_minute), self._escaped_calendar_day(local_day))
        return f'<time datetime="{self._iso_day(utc_day)}T{_MINUTES_OF_DAY[utc_minute]}Z">{shown}</time>'

    def duration(self, delta: timedelta) -> str:
        """How long something took, as people say it: "< 1 min", "45 min", "2 h 15 min" (up to two
        days), then "3 jours". Rounded down: "3 jours" is three days or a little more."""
        minutes = max(0, int(delta.total_seconds() // 60))
        if minutes < 1:
            return f"<\u00a0{self._unit(1, 'duration-minute')}"
        if minutes < 60:
            return self._unit(minutes, "duration-minute")
        hours, minutes = divmod(minutes, 60)
        if hours < 48:
            parts = [self._unit(hours, "duration-hour")] + ([self._unit(minutes, "duration-minute")] if minutes else [])
            return format_list(parts, style="unit-narrow", locale=self.locale)
        return format_unit(hours // 24, "duration-day", length="long", locale=self.locale)

    def _unit(self, value: int, unit: str) -> str:
        return format_unit(value, unit, length="short", locale=self.locale)

    def _local_minute(self, minute: int) -> int:
        return minute + _zone_offset_minutes(minute // 60)

    def _skeleton(self, skeleton: str) -> DateTimePattern:
        skeletons = self.locale.datetime_skeletons
        if skeleton not in skeletons:
            skeleton = match_skeleton(skeleton, skeletons) or skeleton
        return parse_pattern(str(skeletons[skeleton]))

    def _format_day(self, day: date) -> str:
        if self._numeric_day is not None:
            return self._numeric_day.format(day=day.day, month=day.month, year=day.year)
        return self._day_pattern.apply(day, self.locale)

    def _format_date(self, day: int) -> str:
        return self._format_day(date.fromordinal(_EPOCH_ORDINAL + day))

    def _format_time(self, minute_of_day: int) -> str:
        return self._time_pattern.apply(time(*divmod(minute_of_day, 60)), self.locale)


_COMPACT_DAY = re.compile(r"[0-9]{8}")
_ISO_DAY = re.compile(r"(?P<a>[0-9]{4})-(?P<b>[0-9]{1,2})-(?P<c>[0-9]{1,2})")


@lru_cache(maxsize=8)
def _typed_day(order: str) -> re.Pattern[str]:
    """`dMy` as a pattern of day, month and year, one separator repeated (or none)."""
    if sorted(order) != ["M", "d", "y"]:
        return re.compile(r"(?!)")  # a locale whose date is not these three numbers: only ISO
    numbers = ["(?P<%s>[0-9]{4})" if field == "y" else "(?P<%s>[0-9]{1,2})" for field in order]
    first, second, third = (number % group for number, group in zip(numbers, "abc", strict=True))
    return re.compile(rf"{first}\s*(?P<separator>[./-]?)\s*{second}\s*(?P=separator)\s*{third}")


@lru_cache(maxsize=16)
def formats_for(locale: str) -> LocaleFormats:
    """The locale's formats, made once."""
    return LocaleFormats(locale)


def _epoch_minute(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the bus carries UTC
    return int(moment.timestamp() // 60)


@lru_cache(maxsize=65536)
def _zone_offset_minutes(utc_hour: int) -> int:
    """The display zone's offset from UTC during an hour (hours since the epoch), in minutes."""
    offset = datetime.fromtimestamp(utc_hour * 3600, DISPLAY_TIMEZONE).utcoffset()
    return 0 if offset is None else int(offset.total_seconds() // 60)
