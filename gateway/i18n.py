"""Languages: catalogues loaded from the .po files at start-up, one template environment per locale.

Message ids are English; French is the default locale. No build step: each .po file is
compiled in memory when the gateway starts.
"""
from __future__ import annotations

import gettext
from datetime import date, datetime, timezone
from io import BytesIO
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import web
from babel.dates import format_skeleton, format_time, get_datetime_format
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from . import cookies

LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"
SOURCE_LOCALE = "en"  # the language of the message ids: it needs no catalogue

# The hospital and its physicians are in Switzerland and neighbouring France: one time zone.
DISPLAY_TIMEZONE = ZoneInfo("Europe/Zurich")

PACKAGE_DIR = Path(__file__).parent
LOCALES_DIR = PACKAGE_DIR / "locales"
TEMPLATES_DIR = PACKAGE_DIR / "templates"

TEMPLATES_KEYS = {locale: web.AppKey(f"templates_{locale}", jinja2.Environment) for locale in LOCALES}


def request_locale(request: web.Request) -> str:
    """The locale the browser chose with the language switch, French otherwise."""
    chosen = request.cookies.get(cookies.LANGUAGE, "")
    return chosen if chosen in LOCALES else DEFAULT_LOCALE


def load_translations(locale: str) -> gettext.NullTranslations:
    """Compile the locale's .po catalogue in memory; fuzzy entries are left out."""
    if locale == SOURCE_LOCALE:
        return gettext.NullTranslations()
    with open(LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po", "rb") as po_file:
        catalog = read_po(po_file, locale=locale)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def setup_templates(app: web.Application, template_globals: dict[str, Any]) -> None:
    """Register one jinja2 environment per locale, each with its catalogue and formatters."""
    for locale in LOCALES:
        environment = aiohttp_jinja2.setup(
            app,
            app_key=TEMPLATES_KEYS[locale],
            loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
            extensions=["jinja2.ext.i18n"],
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
        environment.install_gettext_translations(load_translations(locale), newstyle=True)  # type: ignore[attr-defined]
        environment.filters.update(_formatters(locale))
        environment.globals.update(template_globals)


def _formatters(locale: str) -> dict[str, Callable[..., str]]:
    return {
        "moment": lambda value: format_moment(value, locale),
        "day": lambda value: format_day(value, locale),
        "number": lambda value: format_decimal(value, locale=locale),
    }


def format_moment(moment: datetime, locale: str) -> str:
    """Date and time to the minute, in the portal's time zone, as the locale writes them."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)  # the bus carries UTC
    local = moment.astimezone(DISPLAY_TIMEZONE)
    day = format_skeleton("yMMMd", local, locale=locale)
    time = format_time(local, "short", locale=locale)
    pattern = str(get_datetime_format("medium", locale=locale))  # e.g. "{1}, {0}": date, then time
    return pattern.replace("'", "").replace("{1}", day).replace("{0}", time)


def format_day(day: date, locale: str) -> str:
    """A calendar date with a four-digit year (birth dates: two digits would be ambiguous)."""
    return format_skeleton("yMMdd", day, locale=locale)
