"""The texts of two emails that carry a sealed secret: a forgotten password's link (F5.6), in each
language of the portal (French, German, Italian and English), and a message to the support (F8),
in French, the support's language. (Recovery's other emails are notices: messages.py.)

The link's token, and what a message to the support says, are composed into the email at the
moment of sending, from the sealed secret, and kept nowhere.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .messages import DEFAULT_LOCALE, RECOVERY_ASKED, RECOVERY_ENDING, MailText, language_of

RECOVERY_LINK = "recovery_link"
SUPPORT_MESSAGE = "support_message"
SUPPORT_TIME_ZONE = ZoneInfo("Europe/Zurich")

_RECOVERY_LINK = {
    "fr": MailText(
        subject="Mot de passe oublié : votre lien pour en choisir un nouveau",
        body=(
            "Ouvrez ce lien dans les {minutes} minutes ; il ne sert qu’une fois :\n{link}\n\n"
            "Vous y choisirez votre nouveau mot de passe, puis un code vous sera envoyé par SMS au numéro de "
            "mobile enregistré pour le confirmer. Toutes les sessions ouvertes de votre compte seront alors "
            "fermées."
        ),
    ),
    "en": MailText(
        subject="Forgotten password: your link to choose a new one",
        body=(
            "Open this link within {minutes} minutes; it works once:\n{link}\n\n"
            "There you choose your new password, then a code is sent by SMS to your registered mobile number to "
            "confirm it. Every open session of your account is then closed."
        ),
    ),
    "de": MailText(
        subject="Passwort vergessen: Ihr Link, um ein neues zu wählen",
        body=(
            "Öffnen Sie diesen Link innerhalb von {minutes} Minuten; er funktioniert nur einmal:\n{link}\n\n"
            "Dort wählen Sie Ihr neues Passwort, danach wird Ihnen zur Bestätigung ein Code per SMS an die "
            "hinterlegte Mobilnummer gesendet. Alle offenen Sitzungen Ihres Kontos werden dann geschlossen."
        ),
    ),
    "it": MailText(
        subject="Password dimenticata: il Suo link per sceglierne una nuova",
        body=(
            "Apra questo link entro {minutes} minuti; funziona una sola volta:\n{link}\n\n"
            "Lì sceglierà la Sua nuova password, poi Le sarà inviato un codice via SMS al numero di cellulare "
            "registrato per confermarla. Tutte le sessioni aperte del Suo account saranno quindi chiuse."
        ),
    ),
}

SUPPORT_TOPICS = {
    "documents": "Un document n’arrive pas",
    "login": "Connexion",
    "registration": "Inscription",
    "other": "Autre question",
}

_SUPPORT_MESSAGE = MailText(
    subject="Portail médecins – message au support : {topic}",
    body=(
        "Message envoyé avec le formulaire de contact du portail.\n\n"
        "De : {name} <{email}>\n"
        "Compte : {account}\n"
        "Sujet : {topic}\n"
        "Reçu le : {received}\n\n"
        "{text}\n\n"
        "--\n"
        "Répondez à cet e-mail pour écrire à l’expéditeur. Les messages reçus sont aussi dans "
        "l’administration du portail : {link}\n"
    ),
)

KINDS = frozenset({RECOVERY_LINK, SUPPORT_MESSAGE})


def writes(kind: str) -> bool:
    """Whether this module has the texts of `kind`."""
    return kind in KINDS


def compose(
    kind: str, locale: str, portal_url: str, fields: dict[str, Any] | None = None, secret: str | None = None
) -> MailText:
    """The email of this kind (`messages.compose`'s signature); KeyError for one it cannot write."""
    portal = portal_url.rstrip("/")
    if kind == SUPPORT_MESSAGE:
        if secret is None:
            raise KeyError(kind)
        return _support_message(json.loads(secret), portal)
    if kind != RECOVERY_LINK or secret is None or not fields:
        raise KeyError(kind)
    language = language_of(locale)
    language = language if language in _RECOVERY_LINK else DEFAULT_LOCALE
    text = _RECOVERY_LINK[language]
    body = text.body.format(link=f"{portal}/login/recover?token={secret}", minutes=fields["valid_minutes"])
    return MailText(text.subject, RECOVERY_ASKED[language] + body + RECOVERY_ENDING[language])


def _support_message(content: dict[str, Any], portal: str) -> MailText:
    topic = SUPPORT_TOPICS.get(content["topic"], content["topic"])
    received = datetime.fromisoformat(content["received_at"]).astimezone(SUPPORT_TIME_ZONE)
    account = content.get("account")
    body = _SUPPORT_MESSAGE.body.format(
        name=content["name"],
        email=content["email"],
        account=f"connecté ({account})" if account else "non connecté",
        topic=topic,
        received=received.strftime("%d.%m.%Y %H:%M"),
        text=content["text"],
        link=f"{portal}/admin/support",
    )
    return MailText(_SUPPORT_MESSAGE.subject.format(topic=topic), body, reply_to=content["email"])
