"""The texts of the SMS notify sends: one-time codes and courtesy notices, in the recipient's
language: French, German, Italian or English, each with the same placeholders.

A code's text is composed at the moment of sending, from the sealed secret, and kept nowhere.
"""

from __future__ import annotations

from typing import Any

from .messages import language_of

CODE = "code."
"""The kind of a code's SMS: this prefix and its purpose (`login`…)."""
NOTICE = "notice."
"""The kind of a notice's SMS: this prefix and what it tells (`mobile_changed`…)."""

_EXPIRES = {
    "fr": "Il expire dans {minutes} minutes.",
    "de": "Er läuft in {minutes} Minuten ab.",
    "it": "Scade tra {minutes} minuti.",
    "en": "It expires in {minutes} minutes.",
}

_CODES = {
    "login": {
        "fr": "Votre code de connexion au portail : {code}.",
        "en": "Your portal login code: {code}.",
        "de": "Ihr Anmeldecode für das Portal: {code}.",
        "it": "Il Suo codice di accesso al portale: {code}.",
    },
    "password_change": {
        "fr": "Code pour changer votre mot de passe du portail : {code}.",
        "en": "Code to change your portal password: {code}.",
        "de": "Code zum Ändern Ihres Passworts im Portal: {code}.",
        "it": "Codice per cambiare la Sua password del portale: {code}.",
    },
    "mobile_change": {
        "fr": "Code pour changer votre numéro de mobile du portail : {code}.",
        "en": "Code to change your portal mobile number: {code}.",
        "de": "Code zum Ändern Ihrer Mobilnummer im Portal: {code}.",
        "it": "Codice per cambiare il Suo numero di cellulare del portale: {code}.",
    },
    "new_mobile": {
        "fr": "Code pour confirmer ce nouveau numéro de mobile du portail : {code}.",
        "en": "Code to confirm this new mobile number for the portal: {code}.",
        "de": "Code zur Bestätigung dieser neuen Mobilnummer für das Portal: {code}.",
        "it": "Codice per confermare questo nuovo numero di cellulare per il portale: {code}.",
    },
    "account_unlock": {
        "fr": "Code pour débloquer votre connexion au portail : {code}. "
        "Si vous n’avez rien demandé, appelez le support.",
        "en": "Code to unlock your portal login: {code}. If you did not ask for it, call the support.",
        "de": "Code zum Entsperren Ihrer Anmeldung im Portal: {code}. "
        "Wenn Sie nichts angefordert haben, rufen Sie den Support an.",
        "it": "Codice per sbloccare il Suo accesso al portale: {code}. Se non ha chiesto nulla, chiami il supporto.",
    },
    "password_recovery": {
        "fr": "Code pour confirmer votre nouveau mot de passe du portail : {code}. "
        "Si vous n’avez rien demandé, appelez le support.",
        "en": "Code to confirm your new portal password: {code}. If you did not ask for it, call the support.",
        "de": "Code zur Bestätigung Ihres neuen Passworts im Portal: {code}. "
        "Wenn Sie nichts angefordert haben, rufen Sie den Support an.",
        "it": "Codice per confermare la Sua nuova password del portale: {code}. "
        "Se non ha chiesto nulla, chiami il supporto.",
    },
    "registration_control": {
        "fr": "Portail médecins, vérification de votre numéro : code {code}. "
        "Donnez-le à la personne qui valide votre demande.",
        "en": "Physicians' portal, checking your number: code {code}. Give it to the person validating your request.",
        "de": "Ärzteportal, Prüfung Ihrer Nummer: Code {code}. Geben Sie ihn der Person, die Ihre Anfrage prüft.",
        "it": "Portale medici, verifica del Suo numero: codice {code}. "
        "Lo comunichi alla persona che convalida la Sua richiesta.",
    },
    "mobile_control": {
        "fr": "Portail médecins, vérification de votre nouveau numéro : code {code}. Donnez-le à l’administrateur.",
        "en": "Physicians' portal, checking your new number: code {code}. Give it to the administrator.",
        "de": "Ärzteportal, Prüfung Ihrer neuen Nummer: Code {code}. Geben Sie ihn dem Administrator.",
        "it": "Portale medici, verifica del Suo nuovo numero: codice {code}. Lo comunichi all’amministratore.",
    },
}

_NOTICES = {
    "mobile_changed": {
        "fr": "Le numéro de mobile de votre compte du portail a été changé. Si ce n’était pas vous, appelez le support.",
        "en": "The mobile number of your portal account was changed. If it was not you, call the support.",
        "de": "Die Mobilnummer Ihres Kontos im Portal wurde geändert. "
        "Wenn Sie es nicht waren, rufen Sie den Support an.",
        "it": "Il numero di cellulare del Suo account del portale è stato cambiato. "
        "Se non è stato Lei, chiami il supporto.",
    },
    "hin_linked": {
        "fr": "Votre compte du portail médecins est désormais lié à votre identité HIN : vous pouvez vous connecter "
        "avec HIN. Si ce n’était pas vous, appelez le support du portail.",
        "en": "Your physicians' portal account is now linked to your HIN identity: you can log in with HIN. "
        "If it was not you, call the portal's support.",
        "de": "Ihr Konto im Ärzteportal ist jetzt mit Ihrer HIN-Identität verknüpft: Sie können sich mit HIN anmelden. "
        "Wenn Sie es nicht waren, rufen Sie den Support des Portals an.",
        "it": "Il Suo account del portale medici è ora collegato alla Sua identità HIN: può accedere con HIN. "
        "Se non è stato Lei, chiami il supporto del portale.",
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
