"""Languages: catalogues loaded from the .po files at start-up, one template environment per locale.

Message ids are English; French is the default locale. No build step: each .po file is
compiled in memory when the gateway starts.
"""

from __future__ import annotations

import gettext
import hashlib
import logging
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from functools import lru_cache, partial
from io import BytesIO
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from markupsafe import Markup

from common.contracts.identity import AccountSummary
from common.contracts.specialties import SPECIALTY_NAMES

from . import cookies
from .document_rows import DocumentRows
from .inbox_rows import InboxRows
from .labels import (
    ACCOUNT_ROLES,
    ACCOUNT_STATUSES,
    BORN,
    CATEGORIES,
    CATEGORY_LABELS,
    FILE_KINDS,
    KB_SIZE,
    MB_SIZE,
    NOTIFICATION_CATEGORIES,
    NOTIFICATION_CHANNELS,
    NOTIFICATION_DELIVERIES,
    NOTIFICATION_KINDS,
    REASON_LABELS,
    REFUSAL_REASON_LABELS,
    REQUEST_KIND_NAMES,
    REQUEST_KINDS,
    REQUEST_STATES,
    REQUEST_STATUSES,
    SERVICE_DOMAINS,
    practice_number,
    readable_numbers,
    undelivered_detail,
)
from .locale_formats import LocaleFormats
from .sessions import SESSION_KEY

LOCALES = ("fr", "de", "it", "en")
DEFAULT_LOCALE = "fr"
SOURCE_LOCALE = "en"  # the language of the message ids: it needs no catalogue

PACKAGE_DIR = Path(__file__).parent
LOCALES_DIR = PACKAGE_DIR / "locales"
TEMPLATES_DIR = PACKAGE_DIR / "templates"

TEMPLATES_KEYS = {locale: web.AppKey(f"templates_{locale}", jinja2.Environment) for locale in LOCALES}

# A page's language may follow these request headers: caches must keep one copy per value.
LANGUAGE_VARY = ("Accept-Language", "Cookie")

log = logging.getLogger(__name__)


def request_locale(request: web.Request) -> str:
    """The page's language. A signed-in physician's is their account's (their profile's), unless
    they used the language switch while signed in; anyone else's is the switch's, else the browser's
    preferred one we have (`Accept-Language`), else French."""
    chosen, _, mark = cookies.private_cookie(request, cookies.LANGUAGE).partition(".")
    physician = _physician(request)
    if physician is not None:
        if chosen in LOCALES and mark == _account_mark(physician.id):
            return chosen
        if physician.locale in LOCALES:
            return str(physician.locale)
    if chosen in LOCALES:
        return chosen
    return negotiate(request.headers.get("Accept-Language", ""))


def switch_choice(request: web.Request, locale: str) -> str:
    """The language cookie's value for a choice made with the switch: a signed-in physician's names
    their account (by a digest), so that it beats the account's language for them only; someone
    signing in later, on this browser, gets their own account's."""
    physician = _physician(request)
    return locale if physician is None else f"{locale}.{_account_mark(physician.id)}"


def _physician(request: web.Request) -> AccountSummary | None:
    session = request.get(SESSION_KEY)
    return session.account if session is not None and session.account.role == "physician" else None


def _account_mark(account_id: str) -> str:
    return hashlib.sha256(f"language:{account_id}".encode()).hexdigest()[:16]


def negotiate(accept_language: str) -> str:
    """The portal's locale the browser prefers most by its `Accept-Language` (q-values weigh, a
    region counts as its language: `de-CH` is German), French when it names none of ours."""
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept_language.split(",")[:32]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = tag.strip().split("-")[0].split("_")[0].lower()
        if quality > 0 and language in LOCALES:
            weighted.append((-quality, position, language))
    return min(weighted)[2] if weighted else DEFAULT_LOCALE


def load_translations(locale: str) -> gettext.NullTranslations:
    """Compile the locale's .po catalogue in memory; fuzzy entries are left out. A locale without
    its catalogue shows the message ids (English), with a warning, rather than stop the gateway."""
    if locale == SOURCE_LOCALE:
        return gettext.NullTranslations()
    path = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        log.warning("no catalogue for %s (%s): its pages are in English", locale, path)
        return gettext.NullTranslations()
    with open(path, "rb") as po_file:
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
            extensions=["jinja2.ext.i18n", ConstantMessages],
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
            # Templates are compiled once; a production gateway never reloads them.
            auto_reload=False,
        )
        translations = load_translations(locale)
        environment.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
        environment.extend(constant_translations=translations)
        formats = LocaleFormats(locale)
        environment.filters.update(_formatters(formats, locale, translations))
        environment.filters["by_specialty"] = partial(by_specialty_name, locale=locale)
        environment.globals.update(template_globals)
        environment.globals["document_rows"] = DocumentRows(
            formats, environment.filters, translations.gettext, CATEGORIES
        )
        environment.globals["inbox_rows"] = InboxRows(formats, environment.filters, translations.gettext)
        # The shared macros, built once per locale: an `{% import %}` in a template rebuilds its
        # module at every render that has globals of its own.
        environment.globals["ui"] = environment.get_template("_macros.html").module


class ConstantMessages(Extension):
    """`_("a constant message")` translated once, when the template is compiled, not at each render.

    Each locale has its own environment, so a message without variables is a constant there.
    Messages with variables (or a `%`) still go through newstyle gettext at render time.
    """

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        translations: gettext.NullTranslations = self.environment.constant_translations  # type: ignore[attr-defined]
        tokens = list(stream)
        skip = 0
        for index, token in enumerate(tokens):
            if skip:
                skip -= 1
                continue
            call = tokens[index : index + 4]
            if (
                [part.type for part in call] == ["name", "lparen", "string", "rparen"]
                and token.value == "_"
                and (index == 0 or tokens[index - 1].type != "dot")
                and "%" not in call[2].value
            ):
                translated = translations.gettext(call[2].value)
                if "%" not in translated:
                    yield Token(token.lineno, "string", translated)
                    skip = 3
                    continue
            yield token


def _formatters(
    formats: LocaleFormats, locale: str, translations: gettext.NullTranslations
) -> dict[str, Callable[..., str]]:
    # Filters, not `_()` calls, for what list rows show: a filter is a plain call, a template call is not.
    other_category = CATEGORY_LABELS["other"]
    born = translations.gettext(BORN)
    return {
        "time_element": lambda moment: Markup(formats.time_element(moment)),
        "day": formats.day,
        # a timedelta, or seconds (a service's usual time to a first answer)
        "duration": lambda delta: formats.duration(delta if isinstance(delta, timedelta) else timedelta(seconds=delta)),
        "born": lambda day: born % {"date": formats.day(day)},
        "number": lambda value: _number(value, locale),
        "category": lambda code: translations.gettext(CATEGORY_LABELS.get(code, other_category)),
        "request_state": lambda code: translations.gettext(REQUEST_STATES[code]) if code in REQUEST_STATES else code,
        "refusal_reason": lambda code: (
            translations.gettext(REFUSAL_REASON_LABELS[code]) if code in REFUSAL_REASON_LABELS else code
        ),
        "service_domain": lambda code: translations.gettext(SERVICE_DOMAINS[code]) if code in SERVICE_DOMAINS else code,
        "request_status": lambda code: (
            translations.gettext(REQUEST_STATUSES[code]) if code in REQUEST_STATUSES else code
        ),
        "request_kind_name": lambda code: (
            translations.gettext(REQUEST_KIND_NAMES[code]) if code in REQUEST_KIND_NAMES else code
        ),
        "request_kind": lambda code: translations.gettext(REQUEST_KINDS[code]) if code in REQUEST_KINDS else code,
        "practice_number": practice_number,
        "readable_numbers": readable_numbers,
        "account_role": lambda code: translations.gettext(ACCOUNT_ROLES[code]) if code in ACCOUNT_ROLES else code,
        "account_status": lambda code: (
            translations.gettext(ACCOUNT_STATUSES[code]) if code in ACCOUNT_STATUSES else code
        ),
        "file_size": lambda size: _file_size(size, locale, translations),
        "file_kind": lambda media_type: FILE_KINDS.get(str(media_type), str(media_type)),
        # A reason the gateway does not know yet is shown as its code rather than hidden.
        "reason": lambda code: translations.gettext(REASON_LABELS[code]) if code in REASON_LABELS else code,
        "undelivered_detail": lambda text: undelivered_detail(text, translations.gettext),
        # The notification log: a kind the gateway does not know yet is shown by its category.
        "notification_kind": lambda kind, category: translations.gettext(
            NOTIFICATION_KINDS[kind] if kind in NOTIFICATION_KINDS else NOTIFICATION_CATEGORIES[category]
        ),
        "notification_category": lambda code: translations.gettext(NOTIFICATION_CATEGORIES[code]),
        "delivery": lambda code: translations.gettext(NOTIFICATION_DELIVERIES[code]),
        "channel": lambda code: translations.gettext(NOTIFICATION_CHANNELS[code]),
        # A specialist title (its French name is its value) in the page's language.
        "specialty": lambda title: specialty_name(title, locale),
    }


def specialty_name(title: str, locale: str) -> str:
    return SPECIALTY_NAMES.get(title, {}).get(locale, title)


def by_specialty_name(titles: Iterable[str], locale: str) -> list[str]:
    """Specialist titles in the alphabetical order of their names in `locale` (accents aside)."""
    return sorted(titles, key=lambda title: _collation_key(specialty_name(title, locale)))


def _collation_key(text: str) -> str:
    return "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char)).casefold()


def _file_size(size: int, locale: str, translations: gettext.NullTranslations) -> str:
    """A file's size as people read it: kilobytes under a megabyte (at least 1), else megabytes to
    one decimal (binary units, as the limits say: 20 MiB)."""
    if size < 1024 * 1024:
        return translations.gettext(KB_SIZE) % {"size": _number(max(1, round(size / 1024)), locale)}
    return translations.gettext(MB_SIZE) % {"size": format_decimal(round(size / 1024 / 1024, 1), locale=locale)}


@lru_cache(maxsize=8192)
def _number(value: int | float, locale: str) -> str:
    # Page numbers and counts are mostly small: below 1,000 no locale of ours groups or changes digits.
    if isinstance(value, int) and -1000 < value < 1000:
        return str(value)
    return format_decimal(value, locale=locale)
