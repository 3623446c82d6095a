"""The texts of the SMS notify sends: one-time codes and courtesy notices, in the recipient's
language (French and English; German and Italian come with the portal's own translations).

A code's text is composed at the moment of sending, from the sealed secret, and kept nowhere.
"""

from __future__ import annotations

from typing import Any

from .messages import language_of

CODE = "code."
"""The kind of a code's SMS: this prefix and its purpose (`login`…)."""
NOTICE = "notice."
"""The kind of a notice's SMS: this prefix and what it tells (`mobile_changed`…)."""

_EXPIRES = {"fr": "Il expire dans {minutes} minutes.", "en": "It expires in {minutes} minutes."}

_CODES = {
    "login": {
        "fr": "Votre code de connexion au portail : {code}.",
        "en": "Your portal login code: {code}.",
    },
    "password_change": {
        "fr": "Code pour changer votre mot de passe du portail : {code}.",
        "en": "Code to change your portal password: {code}.",
    },
    "mobile_change": {
        "fr": "Code pour changer votre numéro de mobile du portail : {code}.",
        "en": "Code to change your portal mobile number: {code}.",
    },
    "new_mobile": {
        "fr": "Code pour confirmer ce nouveau numéro de mobile du portail : {code}.",
        "en": "Code to confirm this new mobile number for the portal: {code}.",
    },
    "account_unlock": {
        "fr": "Code pour débloquer votre connexion au portail : {code}. "
        "Si vous n’avez rien demandé, appelez le support.",
        "en": "Code to unlock your portal login: {code}. If you did not ask for it, call the support.",
    },
    "password_recovery": {
        "fr": "Code pour confirmer votre nouveau mot de passe du portail : {code}. "
        "Si vous n’avez rien demandé, appelez le support.",
        "en": "Code to confirm your new portal password: {code}. If you did not ask for it, call the support.",
    },
    "registration_control": {
        "fr": "Portail médecins, vérification de votre numéro : code {code}. "
        "Donnez-le à la personne qui valide votre demande.",
        "en": "Physicians' portal, checking your number: code {code}. Give it to the person validating your request.",
    },
    "mobile_control": {
        "fr": "Portail médecins, vérification de votre nouveau numéro : code {code}. Donnez-le à l’administrateur.",
        "en": "Physicians' portal, checking your new number: code {code}. Give it to the administrator.",
    },
}

_NOTICES = {
    "mobile_changed": {
        "fr": "Le numéro de mobile de votre compte du portail a été changé. Si ce n’était pas vous, appelez le support.",
        "en": "The mobile number of your portal account was changed. If it was not you, call the support.",
    },
    "hin_linked": {
        "fr": "Votre compte du portail médecins est désormais lié à votre identité HIN : vous pouvez vous connecter "
        "avec HIN. Si ce n’était pas vous, appelez le support du portail.",
        "en": "Your physicians' portal account is now linked to your HIN identity: you can log in with HIN. "
        "If it was not you, call the portal's support.",
    },
}


def compose(kind: str, locale: str, fields: dict[str, Any], secret: str | None) -> str:
    """The SMS of this kind in the recipient's language (KeyError for a kind without texts)."""
    language = language_of(locale)
    if kind.startswith(CODE):
        if secret is None:
            raise KeyError(kind)
        text = _CODES[kind.removeprefix(CODE)][language].format(code=secret)
        minutes = fields.get("minutes")
        return f"{text} {_EXPIRES[language].format(minutes=minutes)}" if minutes else text
    return _NOTICES[kind.removeprefix(NOTICE)][language]
