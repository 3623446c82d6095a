"""The words of an undelivered document's `detail` (`portal.documents.undelivered`, CONTRACT.md):
English for the hospital, composed by the documents service from a code and its values, and read
back by the gateway, which words each code in the page's language (administrators read the list
of undelivered documents in French).

Contents that fail their checks are described by `common.sealed.checks` and
`services.documents.contents`; their words are listed here so that they are read back too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DETAILS: dict[str, str] = {
    # The delivery rule (F1.2), services/documents/delivery.py
    "preliminary": "the document is preliminary",
    "not_communicating": "the document is not classed as communicating",
    "no_designation": "no physician is designated for this episode",
    "designation_revoked": "designation of {physician} was revoked",
    "no_consent": "no electronic consent for {physician}",
    "physician_unknown": "{physician} has no account on the portal",
    "physician_not_activated": "the account of {physician} is not activated",
    # A content that fails its checks (invalid_content)
    "not_base64": "data_b64 is not valid base64",
    "inline_too_large": "inline content larger than {size}",
    "no_object": "no such object in the Object Store",
    "digest_mismatch": "sha256 does not match the content",
    "media_type_refused": "media type {media_type} is not accepted",
    "too_large": "content larger than {size}",
    "not_its_media_type": "the content is not a {media_type} file",
    "none_of_the_media_types": "the content is none of {media_types}",
}


def detail(code: str, **values: str) -> str:
    """The detail of this code with its values (KeyError for a code not listed)."""
    return DETAILS[code].format(**values)


@dataclass(frozen=True)
class ReadDetail:
    code: str
    values: dict[str, str]


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)  # text, name, text, name, ..., text
    return re.compile(
        "".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)" for index, part in enumerate(parts))
    )


_PATTERNS = [(code, _pattern(template)) for code, template in DETAILS.items()]


def read_detail(text: str) -> ReadDetail | None:
    """The code and values a detail was composed from; None for words not listed here."""
    for code, pattern in _PATTERNS:
        if found := pattern.fullmatch(text):
            return ReadDetail(code, found.groupdict())
    return None
