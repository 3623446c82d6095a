"""The leak scan: after the run, the stack's logs and the dev outbox's emails and SMS hold none of
the secrets, codes and patient data the tests used, and no access log line a query string.

The test helpers (tests/portal.py, tests/web.py) remember each sensitive value as they use it, so
the scan grows with the tests. A finding names the file and the kind of value, never the value.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from deploy.process_env import SUPPORT
from services.notify import messages


@dataclass(frozen=True)
class Kind:
    """A kind of sensitive value, where it may be found (`email`, `sms`), and for a short value,
    the words that must stand on its line for it to count (a code is six digits, as a byte count
    in an access log line can be)."""

    name: str
    allowed_in: frozenset[str] = frozenset()
    context: re.Pattern[str] | None = None
    shortest: int = 8  # shorter ones are no secret (a wrong password a test typed, a language)


PASSWORD = Kind("password")
TEMPORARY_PASSWORD = Kind("temporary password")  # by email by design, but only where notify puts it
CODE = Kind("one-time code", frozenset({"sms"}), re.compile(r"code|otp|sms", re.IGNORECASE), shortest=6)
SESSION = Kind("session handle")
TOKEN = Kind("session token")
CHALLENGE = Kind("login challenge handle")
CSRF_TOKEN = Kind("CSRF token")
COOKIE = Kind("cookie value")
STACK_SECRET = Kind("stack secret (key, password, signing key)")
TYPED_BY_THE_SENDER = frozenset({"support"})
"""The support's mailbox: a message written with the help page's form holds what its sender typed
(the form asks for no patient data; a physician may still name a patient there, to the support)."""
PATIENT_NAME = Kind("patient name", TYPED_BY_THE_SENDER, shortest=2)
BIRTH_DATE = Kind("birth date", TYPED_BY_THE_SENDER)
REQUEST_TEXT = Kind("request text (subject, form answer, thread message)", TYPED_BY_THE_SENDER)
RECOVERY_TOKEN = Kind("account recovery token", frozenset({"email"}))  # its link's email alone holds it
SUPPORT_TEXT = Kind("message to the support", frozenset({"email", "support"}))  # emailed to the support, never logged
REFUSAL_NOTE = Kind("a validator's note on a refused registration (the applicant's email never holds it)")

TEMPLATES = Path(__file__).resolve().parent.parent / "gateway" / "templates"
PASSWORD_FIELDS = {
    name
    for template in TEMPLATES.glob("*.html")
    for tag in re.findall(r"<input[^>]*>", template.read_text())
    if 'type="password"' in tag
    for name in re.findall(r'name="([^"]+)"', tag)
}
"""The names of the portal's password fields (`password`, `current`, `new`, `again`)."""


def _temporary_password_line() -> re.Pattern[str]:
    """Where notify's emails put a temporary password, in each language (by design, PRODUCT.md)."""
    marker = "TEMPORARY-PASSWORD-MARKER"
    prefixes = set()
    for language in ("fr", "en"):
        mail = messages.compose(
            f"{messages.TEMPORARY_PASSWORD}login_created", language, "", {"login": "a", "valid_hours": 1}, marker
        )
        prefixes |= {line.partition(marker)[0] for line in mail.body.splitlines() if marker in line}
    return re.compile("(" + "|".join(re.escape(prefix) for prefix in sorted(prefixes)) + r")\S+")


TEMPORARY_PASSWORD_LINE = _temporary_password_line()
WORD = re.compile(r"[\w-]+")
REQUEST_LINE = re.compile(r"\b(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /\S*\?\S")


class Sensitive:
    """Every sensitive value the tests used, with its kind."""

    def __init__(self) -> None:
        self.values: dict[str, Kind] = {}

    def remember(self, kind: Kind, *values: object) -> None:
        for value in values:
            if isinstance(value, str) and kind.shortest <= len(value) <= 10_000 and value.isprintable():
                self.values.setdefault(value, kind)

    def remember_form(self, fields: dict[str, str]) -> None:
        """What a form sends that is secret: its password fields' values (as the templates declare
        them), and codes."""
        self.remember(PASSWORD, *(value for name, value in fields.items() if name in PASSWORD_FIELDS))
        # A code typed with blanks ("452 878", which identity accepts) is the same code: looked for
        # whole, not by its longest piece (three digits, as a log line's milliseconds are).
        code = fields.get("code")
        self.remember(CODE, "".join(code.split()) if code else code)

    def remember_patients(self, message: Any) -> None:
        """The names and birth dates of every patient in a message (as the hospital sends it)."""
        if isinstance(message, dict):
            patient = message.get("patient")
            if isinstance(patient, dict):
                self.remember(PATIENT_NAME, patient.get("family_name"), patient.get("given_name"))
                self.remember(BIRTH_DATE, patient.get("birth_date"))
            for value in message.values():
                self.remember_patients(value)

    def remember_requests(self, message: Any) -> None:
        """What a request or its thread says (a draft, a staff's answer, a physician's message, the
        hospital's answer) and the patient it names: never in a log or an email."""
        if isinstance(message, dict):
            self.remember(REQUEST_TEXT, message.get("subject"), message.get("text"))
            fields = message.get("fields")
            if isinstance(fields, dict):
                self.remember(REQUEST_TEXT, *fields.values())
            for value in message.values():
                self.remember_requests(value)
        self.remember_patients(message)

    def remember_stack_secrets(self, secrets: object) -> None:
        """Every generated secret of a stack (`deploy.stack_secrets.Secrets`), public keys aside."""
        for field in dataclasses.fields(secrets):  # type: ignore[arg-type]
            if "public" not in field.name:
                self.remember(STACK_SECRET, *_texts(getattr(secrets, field.name)))


def _texts(value: object) -> Iterator[str]:
    """The secret texts in a value: itself, a dict's or a dataclass's values, a key file's body."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            yield from _texts(getattr(value, field.name))
    elif isinstance(value, Path) and value.is_file():
        yield from (line for line in value.read_text().splitlines() if line and not line.startswith("-----"))


SENSITIVE = Sensitive()
"""What this test run used (tests/portal.py and tests/web.py add to it)."""


@dataclass(frozen=True)
class Needle:
    """How a value is looked for: as a word, by its longest word if it has several and that one
    is long (a token's signature, a key's body), or as it is (a name of several short words)."""

    value: str
    kind: Kind

    @cached_property
    def word(self) -> str | None:
        pieces = WORD.findall(self.value)
        longest = max(pieces, key=len, default="")
        return longest if len(pieces) == 1 or len(longest) >= 16 or self.kind.context else None


class Scanned:
    """One file's text, and its words (those of the lines with a kind's context words apart)."""

    def __init__(self, label: str, place: str, text: str) -> None:
        self.label, self.place, self.text = label, place, text
        self._words: dict[re.Pattern[str] | None, set[str]] = {}

    def words(self, context: re.Pattern[str] | None) -> set[str]:
        if context not in self._words:
            lines = [line for line in self.text.splitlines() if context is None or context.search(line)]
            self._words[context] = {word for line in lines for word in WORD.findall(line)}
        return self._words[context]

    def holds(self, needle: Needle) -> bool:
        if needle.word is None:
            return needle.value in self.text
        return needle.word in self.words(needle.kind.context)


SUPPORT_MAILBOX = SUPPORT["PORTAL_SUPPORT_EMAIL"]


LOG_NOISE = re.compile(r"\b\d{2}:\d{2}:\d{2}[.,]\d+|\b\d{1,3}(?:\.\d{1,3}){3}:\d+\b|^\[\d+\]", re.MULTILINE)
"""What a log line's prefix holds that is no value of ours: a time's microseconds, a client's
address and port, nats-server's process id. A one-time code is six digits, and nats-server logs
thousands of lines naming `identity.api.login.code` with a 6-digit microsecond each: one of them
was once a code issued in the same stack."""


def scanned(log_dir: Path, outbox_dir: Path) -> Iterator[Scanned]:
    """Each log file, and each email and SMS of the dev outbox (its text fields)."""
    for path in sorted(log_dir.glob("*.log")):
        yield Scanned(path.name, "log", LOG_NOISE.sub(" ", path.read_text(errors="replace")))
    for path in sorted(outbox_dir.glob("*.json")):
        message = json.loads(path.read_text())
        text = "\n".join(str(message.get(key) or "") for key in ("to", "subject", "body", "answer"))
        if message["kind"] == "email":  # the one place a password may be: a temporary one, where notify puts it
            text = TEMPORARY_PASSWORD_LINE.sub(r"\1", text)
        place = "support" if message["kind"] == "email" and message.get("to") == SUPPORT_MAILBOX else message["kind"]
        yield Scanned(f"outbox {message['kind']} {path.name}", place, text)


def find_leaks(files: Iterable[Scanned], sensitive: Sensitive) -> list[str]:
    """What leaked where: `file: kind (n values)`, never the values themselves."""
    found: dict[tuple[str, str], int] = {}
    needles = [Needle(value, kind) for value, kind in sensitive.values.items()]
    for file in files:
        for needle in needles:
            if file.place not in needle.kind.allowed_in and file.holds(needle):
                key = (file.label, needle.kind.name)
                found[key] = found.get(key, 0) + 1
        if file.place == "log":
            lines = sum(1 for line in file.text.splitlines() if REQUEST_LINE.search(line))
            if lines:
                found[(file.label, "query string in a request line")] = lines
    return [f"{label}: {kind} ({count})" for (label, kind), count in sorted(found.items())]


def assert_no_leaks(log_dir: Path, outbox_dir: Path) -> None:
    """Fail, naming each file and kind, if a stack's logs or dev outbox hold what they must not."""
    found = find_leaks(scanned(log_dir, outbox_dir), SENSITIVE)
    assert not found, "the stack's logs or outbox hold what they must not:\n" + "\n".join(found)
