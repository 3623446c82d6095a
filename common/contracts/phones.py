"""Mobile numbers as the portal keeps them: checked to be mobile numbers, in E.164."""

from __future__ import annotations

from typing import Annotated

import phonenumbers
from phonenumbers import PhoneNumberType
from pydantic import AfterValidator

DEFAULT_REGION = "CH"  # a number written without its country code is Swiss
_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def mobile_e164(text: str) -> str:
    """The number in E.164 (+41791234567); ValueError unless it is a valid mobile number."""
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise ValueError("not a mobile number: the codes are sent by SMS")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


MobileNumber = Annotated[str, AfterValidator(mobile_e164)]


def masked_mobile(e164: str) -> str:
    """The number as the code's page shows it: its country code and first group, then only its
    last two digits ("+41 79 ••• •• 67"); "" for a number that cannot be read."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ""
    groups = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL).split(" ")
    if len(groups) < 3:
        return ""
    hidden = " ".join(groups[2:])
    digits = sum(character.isdigit() for character in hidden)
    shown, seen = [], 0
    for character in hidden:
        if character.isdigit():
            seen += 1
            shown.append(character if seen > digits - 2 else "\u2022")
        else:
            shown.append(character)
    return " ".join(groups[:2]) + " " + "".join(shown)
