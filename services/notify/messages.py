"""The texts of the emails notify sends, in each language of the portal: French, German (Swiss:
no ß, formal Sie), Italian (formal Lei) and English, each with the same placeholders.

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
    "de": MailText(
        subject="Neues Dokument im Portal",
        body=(
            "Guten Tag\n\n"
            "Ein neues Dokument wartet im Portal auf Sie.\n"
            "Um es anzusehen, melden Sie sich an: {link}\n\n"
            "Diese Nachricht wird automatisch versandt, bitte antworten Sie nicht darauf.\n"
        ),
    ),
    "it": MailText(
        subject="Nuovo documento sul portale",
        body=(
            "Buongiorno,\n\n"
            "Un nuovo documento La attende sul portale.\n"
            "Per consultarlo, effettui l’accesso: {link}\n\n"
            "Questo messaggio è inviato automaticamente, La preghiamo di non rispondere.\n"
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
    "de": MailText(
        subject="Neue Dokumente im Portal",
        body=(
            "Guten Tag\n\n"
            "Neue Dokumente warten im Portal auf Sie.\n"
            "Um sie anzusehen, melden Sie sich an: {link}\n\n"
            "Diese Nachricht wird automatisch versandt, bitte antworten Sie nicht darauf.\n"
        ),
    ),
    "it": MailText(
        subject="Nuovi documenti sul portale",
        body=(
            "Buongiorno,\n\n"
            "Nuovi documenti La attendono sul portale.\n"
            "Per consultarli, effettui l’accesso: {link}\n\n"
            "Questo messaggio è inviato automaticamente, La preghiamo di non rispondere.\n"
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
    "de": MailText(
        subject="Antwort auf eine Ihrer Anfragen",
        body=(
            "Guten Tag\n\n"
            "Ein Dienst des Spitals hat eine Ihrer Anfragen beantwortet.\n"
            "Um die Antwort zu lesen, melden Sie sich an: {link}\n\n"
            "Diese Nachricht wird automatisch versandt, bitte antworten Sie nicht darauf.\n"
        ),
    ),
    "it": MailText(
        subject="Risposta a una delle Sue richieste",
        body=(
            "Buongiorno,\n\n"
            "Un servizio dell’ospedale ha risposto a una delle Sue richieste.\n"
            "Per leggere la risposta, effettui l’accesso: {link}\n\n"
            "Questo messaggio è inviato automaticamente, La preghiamo di non rispondere.\n"
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
    "de": MailText(
        subject="Antworten auf Ihre Anfragen",
        body=(
            "Guten Tag\n\n"
            "Neue Antworten auf Ihre Anfragen warten im Portal auf Sie.\n"
            "Um sie zu lesen, melden Sie sich an: {link}\n\n"
            "Diese Nachricht wird automatisch versandt, bitte antworten Sie nicht darauf.\n"
        ),
    ),
    "it": MailText(
        subject="Risposte alle Sue richieste",
        body=(
            "Buongiorno,\n\n"
            "Nuove risposte alle Sue richieste La attendono sul portale.\n"
            "Per leggerle, effettui l’accesso: {link}\n\n"
            "Questo messaggio è inviato automaticamente, La preghiamo di non rispondere.\n"
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
    "de": {
        "subject": "Ihre tägliche Zusammenfassung des Portals",
        "opening": "Guten Tag\n\nDas ist neu für Sie im Portal {since}:\n",
        "since": {"last_summary": "seit Ihrer letzten Zusammenfassung", "day": "in den letzten 24 Stunden"},
        "documents": ("{count} neues Dokument", "{count} neue Dokumente"),
        "answers": ("{count} neue Antwort auf Ihre Anfragen", "{count} neue Antworten auf Ihre Anfragen"),
        "line": "- {what}: {link}\n",
        "closing": (
            "\nJeder Link führt über die Anmeldung am Portal. Sie erhalten diese Zusammenfassung einmal täglich, "
            "nur wenn es Neues gibt, wie Sie es in «Mein Profil» gewählt haben.\n\n"
            "Diese Nachricht wird automatisch versandt, bitte antworten Sie nicht darauf.\n"
        ),
    },
    "it": {
        "subject": "Il Suo riepilogo giornaliero del portale",
        "opening": "Buongiorno,\n\nEcco le novità per Lei sul portale {since}:\n",
        "since": {"last_summary": "dal Suo ultimo riepilogo", "day": "nelle ultime 24 ore"},
        "documents": ("{count} nuovo documento", "{count} nuovi documenti"),
        "answers": ("{count} nuova risposta alle Sue richieste", "{count} nuove risposte alle Sue richieste"),
        "line": "- {what}: {link}\n",
        "closing": (
            "\nOgni link passa dall’accesso al portale. Riceve questo riepilogo una volta al giorno, solo se ci "
            "sono novità, come ha scelto in «Il mio profilo».\n\n"
            "Questo messaggio è inviato automaticamente, La preghiamo di non rispondere.\n"
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
    "de": (
        "Benutzername: {login}\n"
        "Provisorisches Passwort: {password}\n\n"
        "Es ist {hours} Stunden gültig. {next_step}\n\n"
        "{link}\n\n"
        "{closing}\n"
    ),
    "it": (
        "Nome utente: {login}\n"
        "Password provvisoria: {password}\n\n"
        "È valida per {hours} ore. {next_step}\n\n"
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
        "de": (
            "Ihr Zugang zum Ärzteportal",
            "Ihr Benutzername für das Ärzteportal wurde erstellt.",
            "Bei Ihrer ersten Anmeldung erhalten Sie einen Code per SMS, danach wählen Sie Ihr eigenes Passwort.",
            "Diese Nachricht wird automatisch versandt.",
        ),
        "it": (
            "Il Suo accesso al portale medici",
            "Il Suo nome utente per il portale medici è stato creato.",
            "Al primo accesso Le sarà inviato un codice via SMS, poi sceglierà la Sua password.",
            "Questo messaggio è automatico.",
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
        "de": (
            "Ihr Zugang zum Ärzteportal (Spitalpersonal)",
            "Ein Administrator des Ärzteportals hat Ihren Benutzernamen erstellt.",
            "Bei Ihrer ersten Anmeldung registrieren Sie eine Authentifizierungs-App (QR-Code) und wählen danach "
            "Ihr eigenes Passwort.",
            "Diese Nachricht wird automatisch versandt.",
        ),
        "it": (
            "Il Suo accesso al portale medici (personale ospedaliero)",
            "Un amministratore del portale medici ha creato il Suo nome utente.",
            "Al primo accesso registrerà un’app di autenticazione (codice QR), poi sceglierà la Sua password.",
            "Questo messaggio è automatico.",
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
        "de": (
            "Neues provisorisches Passwort für das Ärzteportal",
            "Ein Administrator des Ärzteportals hat Ihnen ein neues provisorisches Passwort zugewiesen.",
            "Bei Ihrer nächsten Anmeldung wählen Sie Ihr eigenes Passwort.",
            "Wenn Sie nichts angefordert haben, wenden Sie sich an den Support.",
        ),
        "it": (
            "Nuova password provvisoria per il portale medici",
            "Un amministratore del portale medici Le ha assegnato una nuova password provvisoria.",
            "Al prossimo accesso sceglierà la Sua password.",
            "Se non ha chiesto nulla, contatti il supporto.",
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
        "de": (
            "Neue Authentifizierungs-App für das Ärzteportal",
            "Ein Administrator des Ärzteportals hat Ihre Authentifizierungs-App entfernt.",
            "Bei Ihrer nächsten Anmeldung registrieren Sie eine neue App (QR-Code) und wählen danach Ihr eigenes "
            "Passwort.",
            "Wenn Sie nichts angefordert haben, wenden Sie sich an den Support.",
        ),
        "it": (
            "Nuova app di autenticazione per il portale medici",
            "Un amministratore del portale medici ha rimosso la Sua app di autenticazione.",
            "Al prossimo accesso registrerà una nuova app (codice QR), poi sceglierà la Sua password.",
            "Se non ha chiesto nulla, contatti il supporto.",
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
        "de": MailText(
            subject="Kontoanfrage mit Ihrer GLN- oder RPPS-Nummer",
            body=(
                "Guten Tag\n\n"
                "Soeben hat jemand ein Konto im Ärzteportal mit Ihrer GLN- oder RPPS-Nummer beantragt, für die "
                "bereits ein Konto oder eine laufende Anfrage besteht. Diese Anfrage wurde nicht gespeichert, und "
                "Ihr Konto ist unverändert.\n\n"
                "Wenn Sie es waren: Sie brauchen kein neues Konto. Melden Sie sich wie gewohnt an ({link}) oder "
                "warten Sie, falls Ihre Anfrage noch läuft, auf den Termin zur Prüfung Ihrer Identität. Wenn Sie "
                "Ihren Benutzernamen oder Ihr Passwort vergessen haben, wenden Sie sich an den Support des Portals.\n\n"
                "Wenn Sie es nicht waren: Sie müssen nichts tun. Wenn sich diese Nachricht wiederholt, melden Sie es "
                "dem Support des Portals.\n\n"
                "Diese Nachricht wird automatisch versandt, bitte antworten Sie nicht darauf.\n"
            ),
        ),
        "it": MailText(
            subject="Richiesta di account con il Suo numero GLN o RPPS",
            body=(
                "Buongiorno,\n\n"
                "Qualcuno ha appena chiesto un account sul portale medici con il Suo numero GLN o RPPS, che ha già "
                "un account o una richiesta in corso. Questa richiesta non è stata registrata e il Suo account non "
                "è cambiato.\n\n"
                "Se era Lei: non Le serve un nuovo account. Effettui l’accesso come di consueto ({link}) oppure, se "
                "la Sua richiesta è ancora in corso, attenda l’appuntamento per la verifica della Sua identità. Se ha "
                "dimenticato il Suo nome utente o la Sua password, contatti il supporto del portale.\n\n"
                "Se non era Lei: non deve fare nulla. Se questo messaggio si ripete, lo segnali al supporto del "
                "portale.\n\n"
                "Questo messaggio è inviato automaticamente, La preghiamo di non rispondere.\n"
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
        "de": MailText(
            subject="Ihre Kontoanfrage für das Ärzteportal",
            body=(
                "Guten Tag\n\n"
                "Ihre Kontoanfrage für das Ärzteportal (Referenz {reference}) wurde abgelehnt: {reason}\n\n"
                "Sobald dies geklärt ist, können Sie eine neue Anfrage senden: {link}\n"
                "Bei Fragen wenden Sie sich unter Angabe Ihrer Referenz an den Support des Portals.\n\n"
                "Diese Nachricht wird automatisch versandt, bitte antworten Sie nicht darauf.\n"
            ),
        ),
        "it": MailText(
            subject="La Sua richiesta di account per il portale medici",
            body=(
                "Buongiorno,\n\n"
                "La Sua richiesta di account per il portale medici (riferimento {reference}) è stata rifiutata: "
                "{reason}\n\n"
                "Una volta risolto questo punto, può inviare una nuova richiesta: {link}\n"
                "Per qualsiasi domanda, contatti il supporto del portale indicando il Suo riferimento.\n\n"
                "Questo messaggio è inviato automaticamente, La preghiamo di non rispondere.\n"
            ),
        ),
    },
}

RECOVERY_ASKED = {  # how a forgotten password's emails begin and end (here, and help_texts.py's link)
    "fr": "Bonjour,\n\nQuelqu’un, sans doute vous, a demandé à choisir un nouveau mot de passe pour votre compte "
    "du portail médecins.\n\n",
    "en": "Hello,\n\nSomeone, most likely you, asked to choose a new password for your account on the physicians' "
    "portal.\n\n",
    "de": "Guten Tag\n\nJemand, wahrscheinlich Sie, hat verlangt, für Ihr Konto im Ärzteportal ein neues Passwort "
    "zu wählen.\n\n",
    "it": "Buongiorno,\n\nQualcuno, probabilmente Lei, ha chiesto di scegliere una nuova password per il Suo account "
    "del portale medici.\n\n",
}
RECOVERY_ENDING = {
    "fr": "\n\nSi vous n’avez rien demandé, ignorez ce message : votre compte ne change pas.\n\n"
    "Ce message est envoyé automatiquement, merci de ne pas y répondre.\n",
    "en": "\n\nIf you did not ask for anything, ignore this message: your account does not change.\n\n"
    "This message is sent automatically; please do not reply to it.\n",
    "de": "\n\nWenn Sie nichts angefordert haben, ignorieren Sie diese Nachricht: Ihr Konto bleibt unverändert.\n\n"
    "Diese Nachricht wird automatisch versandt, bitte antworten Sie nicht darauf.\n",
    "it": "\n\nSe non ha chiesto nulla, ignori questo messaggio: il Suo account non cambia.\n\n"
    "Questo messaggio è inviato automaticamente, La preghiamo di non rispondere.\n",
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
        "de": (
            "Passwort vergessen: Ihr Konto meldet sich mit HIN an",
            "Ihr Konto meldet sich mit Ihrer HIN-Identität an: Es hat kein Passwort im Portal. Melden Sie sich mit "
            "der Schaltfläche «Mit HIN anmelden» an: {link}\nDas Passwort Ihrer HIN-Identität ändern Sie bei HIN.",
        ),
        "it": (
            "Password dimenticata: il Suo account accede con HIN",
            "Il Suo account accede con la Sua identità HIN: non ha una password sul portale. Acceda con il "
            "pulsante «Accedi con HIN»: {link}\nLa password della Sua identità HIN si cambia presso HIN.",
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
        "de": (
            "Passwort vergessen: Wenden Sie sich an einen Administrator",
            "Ihr Konto gehört zum Spitalpersonal: Es meldet sich mit einer Authentifizierungs-App an, die weder ein "
            "Link noch eine SMS ersetzt. Bitten Sie einen Administrator des Portals, Ihnen ein neues provisorisches "
            "Passwort zuzuweisen; Sie erhalten es per E-Mail.\n{link}",
        ),
        "it": (
            "Password dimenticata: si rivolga a un amministratore",
            "Il Suo account è quello di un membro del personale ospedaliero: accede con un’app di autenticazione, "
            "che né un link né un SMS sostituiscono. Chieda a un amministratore del portale di assegnarLe una nuova "
            "password provvisoria; Le arriverà per e-mail.\n{link}",
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
        "de": (
            "Passwort vergessen: Wenden Sie sich an den Support",
            "Für Ihr Konto ist keine Mobilnummer hinterlegt: Der Code, der ein neues Passwort bestätigt, kann Ihnen "
            "nicht gesendet werden. Wenden Sie sich an den Support des Portals (seine Kontaktangaben stehen auf der "
            "Seite «Hilfe», oben auf jeder Seite: {link}); er weist Ihnen ein neues provisorisches Passwort zu.",
        ),
        "it": (
            "Password dimenticata: contatti il supporto",
            "Il Suo account non ha un numero di cellulare registrato: il codice che conferma una nuova password non "
            "può esserLe inviato. Contatti il supporto del portale (i suoi recapiti sono nella pagina «Aiuto», in "
            "alto su ogni pagina: {link}); Le assegnerà una nuova password provvisoria.",
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
        "de": "Ihre Identität konnte mit dem vorgelegten Ausweis nicht bestätigt werden.",
        "it": "non è stato possibile confermare la Sua identità con il documento d’identità presentato.",
    },
    "number_not_theirs": {
        "fr": "le numéro GLN ou RPPS indiqué n’est pas celui d’un médecin en exercice à votre nom.",
        "en": "the GLN or RPPS number given is not that of a physician in practice by your name.",
        "de": "Die angegebene GLN- oder RPPS-Nummer ist nicht die einer praktizierenden Ärztin oder eines "
        "praktizierenden Arztes mit Ihrem Namen.",
        "it": "il numero GLN o RPPS indicato non è quello di un medico in attività a Suo nome.",
    },
    "shared_account": {
        "fr": "un compte du portail est personnel, il ne peut pas être celui d’un cabinet ou d’un secrétariat.",
        "en": "an account of the portal is personal: it cannot be a practice's or a secretariat's.",
        "de": "Ein Konto des Portals ist persönlich: Es kann nicht das einer Praxis oder eines Sekretariats sein.",
        "it": "un account del portale è personale: non può essere quello di uno studio o di una segreteria.",
    },
    "no_identity_check": {
        "fr": "la vérification de votre identité n’a pas eu lieu.",
        "en": "the check of your identity did not take place.",
        "de": "Die Prüfung Ihrer Identität hat nicht stattgefunden.",
        "it": "la verifica della Sua identità non ha avuto luogo.",
    },
    "other": {
        "fr": "le support du portail vous en dira la raison.",
        "en": "the portal's support will tell you why.",
        "de": "Der Support des Portals nennt Ihnen den Grund.",
        "it": "il supporto del portale Le indicherà il motivo.",
    },
}
_NOTICE_PAGES = {"registration_refused": "/register"}
"""The page a notice's link opens (the login page unless named here)."""

EMAIL_NOTICE = "notice."
"""The kind of a courtesy email about the account: this prefix and what it tells (`registration_attempt`)."""

_GREETING = {"fr": "Bonjour,", "de": "Guten Tag", "it": "Buongiorno,", "en": "Hello,"}

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
