"""The gateway's translation catalogues (`gateway/locales/*/LC_MESSAGES/messages.po`) are complete:
every message id the templates and Python mark (Babel's extract with `gateway/babel.cfg`, run here)
is in every catalogue, translated and not fuzzy (the gateway leaves fuzzy entries out, so a fuzzy
one shows English), `messages.pot` is the extraction's, and French uses the typographic apostrophe.

`make catalogs` extracts, updates the catalogues and compiles them; translate what it leaves
empty or fuzzy. Plain unit tests: no stack.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from gateway import i18n

pytestmark = pytest.mark.unit

GATEWAY = i18n.PACKAGE_DIR
CATALOGS = sorted(i18n.LOCALES_DIR.glob("*/LC_MESSAGES/messages.po"))
FIX = "run `make catalogs`, then translate"


def _read(path: Path) -> Catalog:
    with open(path, "rb") as po_file:
        return read_po(po_file, locale=path.parent.parent.name)


def _extracted() -> Catalog:
    """What `pybabel extract -F babel.cfg` finds in the gateway, as a template catalogue."""
    with open(GATEWAY / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    template = Catalog()
    for filename, lineno, message, _comments, context in extract_from_dir(GATEWAY, method_map, options_map):
        template.add(message, None, [(filename, lineno)], context=context)
    return template


EXTRACTED = _extracted()


def _messages(catalog: Catalog) -> list[Message]:
    return [message for message in catalog if message.id]


def _key(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _texts(message: Message) -> list[str]:
    return [message.string] if isinstance(message.string, str) else list(message.string)


def _where(message: Message) -> str:
    return " ".join(f"{filename}:{lineno}" for filename, lineno in message.locations)


def test_the_gateway_marks_messages_and_has_catalogues() -> None:
    # A broken configuration would extract nothing and pass every test below.
    assert len(_messages(EXTRACTED)) > 100
    assert CATALOGS
    # Every language the gateway offers, other than the message ids' own, has its catalogue.
    languages = {path.parent.parent.name for path in CATALOGS}
    assert set(i18n.LOCALES) - {i18n.SOURCE_LOCALE} <= languages


@pytest.mark.parametrize("path", CATALOGS, ids=lambda path: path.parent.parent.name)
def test_every_extracted_message_is_in_the_catalogue(path: Path) -> None:
    catalog = _read(path)
    missing = [
        f"{_key(message)!r} ({_where(message)})"
        for message in _messages(EXTRACTED)
        if catalog.get(_key(message), message.context) is None
    ]
    assert not missing, f"not in {path.parent.parent.name}'s catalogue ({FIX}):\n" + "\n".join(missing)


@pytest.mark.parametrize("path", CATALOGS, ids=lambda path: path.parent.parent.name)
def test_every_message_is_translated_and_not_fuzzy(path: Path) -> None:
    catalog = _read(path)
    untranslated = [_key(message) for message in _messages(catalog) if not all(_texts(message))]
    fuzzy = [_key(message) for message in _messages(catalog) if message.fuzzy]
    assert not untranslated, f"untranslated in {path.parent.parent.name} ({FIX}): {untranslated}"
    assert not fuzzy, f"fuzzy in {path.parent.parent.name} (check the translation, then drop the flag): {fuzzy}"


def test_the_template_is_what_the_sources_mark() -> None:
    with open(i18n.LOCALES_DIR / "messages.pot", "rb") as pot_file:
        template = read_po(pot_file)
    stale = {_key(message) for message in _messages(template)} ^ {_key(message) for message in _messages(EXTRACTED)}
    assert not stale, f"messages.pot is stale ({FIX}): {sorted(stale)}"


@pytest.mark.parametrize("path", [path for path in CATALOGS if path.parent.parent.name == "fr"], ids=["fr"])
def test_french_uses_the_typographic_apostrophe(path: Path) -> None:
    straight = [
        f"{_key(message)!r}: {text!r}" for message in _messages(_read(path)) for text in _texts(message) if "'" in text
    ]
    assert not straight, "French writes ’, not ':\n" + "\n".join(straight)
