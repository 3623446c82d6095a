"""The texts of the emails notify sends, in each language it speaks.

They name no patient and no document: an email leaves the hospital's control, so it only
says that something is waiting on the portal.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_LOCALE = "fr"


@dataclass(frozen=True)
class MailText:
    subject: str
    body: str


_NEW_DOCUMENT = {
    "fr": MailText(
        subject="Nouveau document sur le portail",
        body=(
            "Bonjour,\n\n"
            "Un nouveau document vous attend sur le portail.\n"
            "Pour le consulter, connectez-vous : {link}\n\n"
            "Ce message est envoyé automatiquement, merci de ne pas y répondre.\n"
        ),
    ),
    "en": MailText(
        subject="New document on the portal",
        body=(
            "Hello,\n\n"
            "A new document is waiting for you on the portal.\n"
            "To read it, log in: {link}\n\n"
            "This message is sent automatically; please do not reply to it.\n"
        ),
    ),
}


_NEW_DOCUMENTS = {
    "fr": MailText(
        subject="Nouveaux documents sur le portail",
        body=(
            "Bonjour,\n\n"
            "De nouveaux documents vous attendent sur le portail.\n"
            "Pour les consulter, connectez-vous : {link}\n\n"
            "Ce message est envoyé automatiquement, merci de ne pas y répondre.\n"
        ),
    ),
    "en": MailText(
        subject="New documents on the portal",
        body=(
            "Hello,\n\n"
            "New documents are waiting for you on the portal.\n"
            "To read them, log in: {link}\n\n"
            "This message is sent automatically; please do not reply to it.\n"
        ),
    ),
}


def language_of(locale: str) -> str:
    """The language we have texts for: `en-GB` -> `en`; anything unknown -> French."""
    language = locale.replace("_", "-").split("-", 1)[0].lower()
    return language if language in _NEW_DOCUMENT else DEFAULT_LOCALE


NEW_DOCUMENT = "new_document"
NEW_DOCUMENTS = "new_documents"
_TEXTS = {NEW_DOCUMENT: (_NEW_DOCUMENT, "/documents"), NEW_DOCUMENTS: (_NEW_DOCUMENTS, "/documents")}


def compose(kind: str, locale: str, portal_url: str) -> MailText:
    """The email of this kind in the account's language (KeyError for a kind without texts)."""
    texts, path = _TEXTS[kind]
    text = texts[language_of(locale)]
    return MailText(subject=text.subject, body=text.body.format(link=f"{portal_url.rstrip('/')}{path}"))
