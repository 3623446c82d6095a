"""The texts of the emails notify sends, in each language it speaks (French and English;
German and Italian come with the portal's own translations).

They name no patient and no document: an email leaves the hospital's control, so it only
says that something is waiting on the portal. A temporary password's email holds the password:
it is composed at the moment of sending, from the sealed secret, and kept nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_LOCALE = "fr"


@dataclass(frozen=True)
class MailText:
    subject: str
    body: str
    reply_to: str | None = None  # where an answer goes (a message to the support: its sender)


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


_REQUEST_ANSWERED = {
    "fr": MailText(
        subject="Réponse à l’une de vos demandes",
        body=(
            "Bonjour,\n\n"
            "Un service de l’hôpital a répondu à l’une de vos demandes.\n"
            "Pour lire sa réponse, connectez-vous : {link}\n\n"
            "Ce message est envoyé automatiquement, merci de ne pas y répondre.\n"
        ),
    ),
    "en": MailText(
        subject="An answer to one of your requests",
        body=(
            "Hello,\n\n"
            "A hospital service has answered one of your requests.\n"
            "To read the answer, log in: {link}\n\n"
            "This message is sent automatically; please do not reply to it.\n"
        ),
    ),
}


_REQUESTS_ANSWERED = {
    "fr": MailText(
        subject="Réponses à vos demandes",
        body=(
            "Bonjour,\n\n"
            "De nouvelles réponses à vos demandes vous attendent sur le portail.\n"
            "Pour les lire, connectez-vous : {link}\n\n"
            "Ce message est envoyé automatiquement, merci de ne pas y répondre.\n"
        ),
    ),
    "en": MailText(
        subject="Answers to your requests",
        body=(
            "Hello,\n\n"
            "New answers to your requests are waiting for you on the portal.\n"
            "To read them, log in: {link}\n\n"
            "This message is sent automatically; please do not reply to it.\n"
        ),
    ),
}


_DAILY_SUMMARY = {
    "fr": {
        "subject": "Votre résumé quotidien du portail",
        "opening": "Bonjour,\n\nVoici ce qui est nouveau pour vous sur le portail {since} :\n",
        "since": {"last_summary": "depuis votre dernier résumé", "day": "au cours des dernières 24 heures"},
        "documents": ("{count} nouveau document", "{count} nouveaux documents"),
        "answers": ("{count} nouvelle réponse à vos demandes", "{count} nouvelles réponses à vos demandes"),
        "line": "- {what} : {link}\n",
        "closing": (
            "\nChaque lien passe par la connexion au portail. Vous recevez ce résumé une fois par jour, "
            "seulement s’il y a du nouveau, comme vous l’avez choisi dans « Mon profil ».\n\n"
            "Ce message est envoyé automatiquement, merci de ne pas y répondre.\n"
        ),
    },
    "en": {
        "subject": "Your daily summary of the portal",
        "opening": "Hello,\n\nThis is what is new for you on the portal {since}:\n",
        "since": {"last_summary": "since your last summary", "day": "in the last 24 hours"},
        "documents": ("{count} new document", "{count} new documents"),
        "answers": ("{count} new answer to your requests", "{count} new answers to your requests"),
        "line": "- {what}: {link}\n",
        "closing": (
            "\nEach link goes through the portal's login. You receive this summary once a day, only when "
            "something is new, as you chose in “My profile”.\n\n"
            "This message is sent automatically; please do not reply to it.\n"
        ),
    },
}
_SUMMARY_LINKS = {"documents": "/documents", "answers": "/requests"}


def _daily_summary(language: str, portal: str, fields: dict[str, Any]) -> MailText:
    """How many new documents and answers, each with a link to its list; nothing else."""
    words: dict[str, Any] = _DAILY_SUMMARY[language]
    body = words["opening"].format(since=words["since"][fields.get("since", "day")])
    for counted, path in _SUMMARY_LINKS.items():
        count = int(fields.get(counted, 0))
        if count:
            what = words[counted][0 if count == 1 else 1].format(count=count)
            body += words["line"].format(what=what, link=portal + path)
    return MailText(subject=words["subject"], body=body + words["closing"])


_TEMPORARY_PASSWORD_ENDINGS = {
    "fr": (
        "Identifiant : {login}\n"
        "Mot de passe provisoire : {password}\n\n"
        "Il est valable {hours} heures. {next_step}\n\n"
        "{link}\n\n"
        "{closing}\n"
    ),
    "en": (
        "Login name: {login}\n"
        "Temporary password: {password}\n\n"
        "It is valid for {hours} hours. {next_step}\n\n"
        "{link}\n\n"
        "{closing}\n"
    ),
}

_TEMPORARY_PASSWORD = {
    "login_created": {
        "fr": (
            "Votre accès au portail médecins",
            "Votre identifiant du portail médecins a été créé.",
            "À votre première connexion, un code vous sera envoyé par SMS, puis vous choisirez votre propre "
            "mot de passe.",
            "Ce message est automatique.",
        ),
        "en": (
            "Your access to the physicians' portal",
            "Your login for the physicians' portal has been created.",
            "At your first login a code will be sent to you by SMS, then you will choose your own password.",
            "This message is sent automatically.",
        ),
    },
    "staff_created": {
        "fr": (
            "Votre accès au portail médecins (personnel hospitalier)",
            "Un administrateur du portail médecins a créé votre identifiant.",
            "À votre première connexion, vous enregistrerez une application d’authentification (code QR), "
            "puis choisirez votre propre mot de passe.",
            "Ce message est automatique.",
        ),
        "en": (
            "Your access to the physicians' portal (hospital staff)",
            "An administrator of the physicians' portal has created your login.",
            "At your first login you will enrol an authenticator app (QR code), then choose your own password.",
            "This message is sent automatically.",
        ),
    },
    "password_reset": {
        "fr": (
            "Nouveau mot de passe provisoire du portail médecins",
            "Un administrateur du portail médecins vous a attribué un nouveau mot de passe provisoire.",
            "À votre prochaine connexion, vous choisirez votre propre mot de passe.",
            "Si vous n’avez rien demandé, contactez le support.",
        ),
        "en": (
            "New temporary password for the physicians' portal",
            "An administrator of the physicians' portal has given you a new temporary password.",
            "At your next login you will choose your own password.",
            "If you did not ask for anything, contact the support.",
        ),
    },
    "app_reset": {
        "fr": (
            "Nouvelle application d’authentification pour le portail médecins",
            "Un administrateur du portail médecins a retiré votre application d’authentification.",
            "À votre prochaine connexion, vous enregistrerez une nouvelle application (code QR), puis choisirez "
            "votre propre mot de passe.",
            "Si vous n’avez rien demandé, contactez le support.",
        ),
        "en": (
            "New authenticator app for the physicians' portal",
            "An administrator of the physicians' portal has removed your authenticator app.",
            "At your next login you will enrol a new app (QR code), then choose your own password.",
            "If you did not ask for anything, contact the support.",
        ),
    },
}

_EMAIL_NOTICES = {
    "registration_attempt": {
        "fr": MailText(
            subject="Demande de compte avec votre numéro GLN ou RPPS",
            body=(
                "Bonjour,\n\n"
                "Quelqu’un vient de demander un compte sur le portail médecins avec votre numéro GLN ou RPPS, "
                "qui a déjà un compte ou une demande en cours. Cette demande n’a pas été enregistrée et votre "
                "compte n’a pas changé.\n\n"
                "Si c’était vous : vous n’avez pas besoin d’un nouveau compte. Connectez-vous comme d’habitude "
                "({link}) ou, si votre demande est encore en cours, attendez le rendez-vous de vérification de "
                "votre identité. Si vous avez oublié votre identifiant ou votre mot de passe, contactez le support "
                "du portail.\n\n"
                "Si ce n’était pas vous : vous n’avez rien à faire. Si ce message se répète, signalez-le au "
                "support du portail.\n\n"
                "Ce message est envoyé automatiquement, merci de ne pas y répondre.\n"
            ),
        ),
        "en": MailText(
            subject="Account request with your GLN or RPPS number",
            body=(
                "Hello,\n\n"
                "Someone has just asked for an account on the physicians' portal with your GLN or RPPS number, "
                "which already has an account or a request in progress. This request was not kept, and your "
                "account has not changed.\n\n"
                "If it was you: you need no new account. Log in as usual ({link}) or, if your request is still "
                "in progress, wait for the appointment that checks your identity. If you have forgotten your "
                "login name or your password, contact the portal's support.\n\n"
                "If it was not you: there is nothing to do. If this message comes again, tell the portal's "
                "support.\n\n"
                "This message is sent automatically; please do not reply to it.\n"
            ),
        ),
    },
    "registration_refused": {
        "fr": MailText(
            subject="Votre demande de compte sur le portail médecins",
            body=(
                "Bonjour,\n\n"
                "Votre demande de compte sur le portail médecins (référence {reference}) a été refusée : {reason}\n\n"
                "Une fois ce point réglé, vous pouvez envoyer une nouvelle demande : {link}\n"
                "Pour toute question, contactez le support du portail en citant votre référence.\n\n"
                "Ce message est envoyé automatiquement, merci de ne pas y répondre.\n"
            ),
        ),
        "en": MailText(
            subject="Your account request for the physicians' portal",
            body=(
                "Hello,\n\n"
                "Your account request for the physicians' portal (reference {reference}) was refused: {reason}\n\n"
                "Once this is settled, you may send a new request: {link}\n"
                "For any question, contact the portal's support and quote your reference.\n\n"
                "This message is sent automatically; please do not reply to it.\n"
            ),
        ),
    },
}

RECOVERY_ASKED = {  # how a forgotten password's emails begin and end (here, and help_texts.py's link)
    "fr": "Bonjour,\n\nQuelqu’un, sans doute vous, a demandé à choisir un nouveau mot de passe pour votre compte "
    "du portail médecins.\n\n",
    "en": "Hello,\n\nSomeone, most likely you, asked to choose a new password for your account on the physicians' "
    "portal.\n\n",
}
RECOVERY_ENDING = {
    "fr": "\n\nSi vous n’avez rien demandé, ignorez ce message : votre compte ne change pas.\n\n"
    "Ce message est envoyé automatiquement, merci de ne pas y répondre.\n",
    "en": "\n\nIf you did not ask for anything, ignore this message: your account does not change.\n\n"
    "This message is sent automatically; please do not reply to it.\n",
}
_RECOVERY_NOTICES = {  # a forgotten password asked for an account that cannot renew it alone (F5.6)
    "recovery_hin": {
        "fr": (
            "Mot de passe oublié : votre compte se connecte avec HIN",
            "Votre compte se connecte avec votre identité HIN : il n’a pas de mot de passe sur le portail. "
            "Connectez-vous avec le bouton « Se connecter avec HIN » : {link}\n"
            "Le mot de passe de votre identité HIN se change chez HIN.",
        ),
        "en": (
            "Forgotten password: your account logs in with HIN",
            "Your account logs in with your HIN identity: it has no password on the portal. Log in with the "
            "“Log in with HIN” button: {link}\nYour HIN identity's password is changed at HIN.",
        ),
    },
    "recovery_staff": {
        "fr": (
            "Mot de passe oublié : demandez-le à un administrateur",
            "Votre compte est celui d’un membre du personnel hospitalier : il se connecte avec une application "
            "d’authentification, qu’un lien ou un SMS ne remplacent pas. Demandez à un administrateur du portail "
            "de vous attribuer un nouveau mot de passe provisoire ; il vous parviendra par e-mail.\n{link}",
        ),
        "en": (
            "Forgotten password: ask an administrator",
            "Your account is a hospital staff member's: it logs in with an authenticator app, which no link or SMS "
            "replaces. Ask an administrator of the portal to give you a new temporary password; it will reach you "
            "by email.\n{link}",
        ),
    },
    "recovery_support": {
        "fr": (
            "Mot de passe oublié : contactez le support",
            "Votre compte n’a pas de numéro de mobile enregistré : le code qui confirme un nouveau mot de passe ne "
            "peut pas vous être envoyé. Contactez le support du portail (ses coordonnées sont sur la page « Aide », "
            "en haut de chaque page : {link}) ; il vous attribuera un nouveau mot de passe provisoire.",
        ),
        "en": (
            "Forgotten password: contact the support",
            "Your account has no registered mobile number: the code that confirms a new password cannot be sent to "
            "you. Contact the portal's support (its details are on the Help page, at the top of every page: {link}); "
            "it will give you a new temporary password.",
        ),
    },
}
_EMAIL_NOTICES |= {
    kind: {
        language: MailText(subject, RECOVERY_ASKED[language] + body + RECOVERY_ENDING[language])
        for language, (subject, body) in texts.items()
    }
    for kind, texts in _RECOVERY_NOTICES.items()
}
# Why a registration request was refused (notifications.RegistrationRefusalReason), as the email says it.
_REFUSAL_REASONS = {
    "identity_not_confirmed": {
        "fr": "votre identité n’a pas pu être confirmée avec la pièce d’identité présentée.",
        "en": "your identity could not be confirmed with the identity document shown.",
    },
    "number_not_theirs": {
        "fr": "le numéro GLN ou RPPS indiqué n’est pas celui d’un médecin en exercice à votre nom.",
        "en": "the GLN or RPPS number given is not that of a physician in practice by your name.",
    },
    "shared_account": {
        "fr": "un compte du portail est personnel, il ne peut pas être celui d’un cabinet ou d’un secrétariat.",
        "en": "an account of the portal is personal: it cannot be a practice's or a secretariat's.",
    },
    "no_identity_check": {
        "fr": "la vérification de votre identité n’a pas eu lieu.",
        "en": "the check of your identity did not take place.",
    },
    "other": {
        "fr": "le support du portail vous en dira la raison.",
        "en": "the portal's support will tell you why.",
    },
}
_NOTICE_PAGES = {"registration_refused": "/register"}
"""The page a notice's link opens (the login page unless named here)."""

EMAIL_NOTICE = "notice."
"""The kind of a courtesy email about the account: this prefix and what it tells (`registration_attempt`)."""

_GREETING = {"fr": "Bonjour,", "en": "Hello,"}

TEMPORARY_PASSWORD = "temporary_password."
"""The kind of a temporary password's email: this prefix and the reason (`login_created`…)."""


def language_of(locale: str) -> str:
    """The language we have texts for: `en-GB` -> `en`; anything unknown -> French."""
    language = locale.replace("_", "-").split("-", 1)[0].lower()
    return language if language in _NEW_DOCUMENT else DEFAULT_LOCALE


NEW_DOCUMENT = "new_document"
NEW_DOCUMENTS = "new_documents"
REQUEST_ANSWERED = "request_answered"  # fields: request_id, for the link to its page
REQUESTS_ANSWERED = "requests_answered"  # several, merged while waiting: the link to Mes demandes
DAILY_SUMMARY = "daily_summary"  # fields: documents, answers (counts), since ("last_summary" or "day")
_TEXTS = {
    NEW_DOCUMENT: (_NEW_DOCUMENT, "/documents"),
    NEW_DOCUMENTS: (_NEW_DOCUMENTS, "/documents"),
    REQUEST_ANSWERED: (_REQUEST_ANSWERED, "/requests/{request_id}"),
    REQUESTS_ANSWERED: (_REQUESTS_ANSWERED, "/requests"),
}


def compose(
    kind: str, locale: str, portal_url: str, fields: dict[str, Any] | None = None, secret: str | None = None
) -> MailText:
    """The email of this kind in the account's language (KeyError for a kind without texts)."""
    portal = portal_url.rstrip("/")
    language = language_of(locale)
    if kind.startswith(TEMPORARY_PASSWORD):
        if secret is None or not fields:
            raise KeyError(kind)
        subject, opening, next_step, closing = _TEMPORARY_PASSWORD[kind.removeprefix(TEMPORARY_PASSWORD)][language]
        ending = _TEMPORARY_PASSWORD_ENDINGS[language].format(
            login=fields["login"],
            password=secret,
            hours=fields["valid_hours"],
            next_step=next_step,
            link=f"{portal}/login",
            closing=closing,
        )
        return MailText(subject=subject, body=f"{_GREETING[language]}\n\n{opening}\n\n{ending}")
    if kind == DAILY_SUMMARY:
        return _daily_summary(language, portal, fields or {})
    if kind.startswith(EMAIL_NOTICE):
        name = kind.removeprefix(EMAIL_NOTICE)
        notice, values = _EMAIL_NOTICES[name][language], dict(fields or {})
        if "reason" in values:
            values["reason"] = _REFUSAL_REASONS[values["reason"]][language]
        link = portal + _NOTICE_PAGES.get(name, "/login")
        return MailText(subject=notice.subject, body=notice.body.format(link=link, **values))
    texts, path = _TEXTS[kind]
    text = texts[language]
    return MailText(subject=text.subject, body=text.body.format(link=portal + path.format_map(fields or {})))
