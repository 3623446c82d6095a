"""Help (F8, issue 14): a help page reached from every page, logged in or not, with the support's
contacts and the user guide's explanations; empty lists that link to the explanation that fits; a
contact form, rate-limited, whose messages reach the support by email and the administrators'
list."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from playwright.async_api import Browser

from common.contracts import support
from common.errors import TooManyRequests
from deploy.process_env import SUPPORT
from deploy.stack import Stack
from services.notify import help_texts
from services.notify.config import SmtpSettings
from services.notify.mail import Mailer

from . import leaks
from .portal import Physicians, eventually, outbox_messages
from .test_hostile_xss import _role_browser, hostile
from .web import SignIn, WebClient

SUPPORT_EMAIL = SUPPORT["PORTAL_SUPPORT_EMAIL"]
HELP_LINK = '<a href="/help"'


def _text(words: str) -> str:
    """A message of the test's own, remembered: it may be emailed to the support, never logged."""
    text = f"{words} ({uuid.uuid4().hex[:12]})"
    leaks.SENSITIVE.remember(leaks.SUPPORT_TEXT, text)
    return text


async def _mailed_to_support(stack: Stack, text: str, since_ns: int) -> dict:
    async def mail() -> dict | None:
        found = [m for m in outbox_messages(stack.outbox_dir, "email", SUPPORT_EMAIL, since_ns) if text in m["body"]]
        return found[0] if found else None

    return await eventually(mail, what="the message emailed to the support")


async def test_the_help_page_is_reached_from_every_page_logged_in_or_not(
    web: WebClient, sign_in: SignIn, physicians: Physicians
) -> None:
    for path in ("/login", "/login/unlock", "/login/forgot", "/register", "/help"):
        page = await web.get(path)
        assert page.status == 200 and HELP_LINK in await page.text(), path
    page = await (await web.get("/help")).text()
    for said in (
        "<h1>Aide</h1>",
        f'<a href="mailto:{SUPPORT_EMAIL}">{SUPPORT_EMAIL}</a>',
        SUPPORT["PORTAL_SUPPORT_PHONE"],
        SUPPORT["PORTAL_SUPPORT_HOURS"],
        "Les documents ne sont jamais envoyés par e-mail",
        "le patient vous a désigné comme médecin destinataire et a autorisé l’envoi électronique",
        "classés comme « communicants »",
        "envoyer un document manuellement, avec l’autorisation explicite du patient",
        "dossier des indésirables",
        "« Se connecter avec HIN »",
        "un code à 6 chiffres est alors envoyé par SMS",
        "prenez rendez-vous pour la vérification de votre identité",
        'name="csrf_token"',
        'id="name"',  # the anonymous say who they are
    ):
        assert said in page, said
    for anchor in ("support", "documents", "designation", "login", "password", "register", "contact"):
        assert f'id="{anchor}"' in page, anchor

    doctor = await physicians.create()
    browser = await sign_in(doctor)
    assert HELP_LINK in await (await browser.get("/documents")).text()
    page = await (await browser.get("/help")).text()
    assert "Vous écrivez en tant que" in page and 'id="name"' not in page
    assert 'href="/documents"' in page  # the navigation of a logged-in page

    # A first step to go through (a temporary password) does not keep anyone from the help.
    assert physicians.pool is not None
    await physicians.pool.execute(
        "UPDATE accounts SET must_change_password = true WHERE id = $1", uuid.UUID(doctor.account_id)
    )
    held = await sign_in(doctor)
    assert (await held.get("/documents")).headers["Location"] == "/profile/password?first=1"
    assert (await held.get("/help")).status == 200


async def test_empty_lists_link_to_the_explanation_that_fits(sign_in: SignIn, physicians: Physicians) -> None:
    browser = await sign_in(await physicians.create())
    documents = await (await browser.get("/documents")).text()
    assert (
        'Vous n’avez encore aucun document. <a href="/help#documents">Pourquoi un document peut ne pas arriver</a>'
        in documents
    )
    patients = await (await browser.get("/patients")).text()
    assert (
        'Vous n’avez encore aucun patient. <a href="/help#designation">'
        "Comment les documents d’un patient vous parviennent</a>" in patients
    )


async def test_a_message_to_the_support_reaches_it_by_email_and_the_administrators_list(
    stack: Stack, web: WebClient, sign_in: SignIn, physicians: Physicians
) -> None:
    since = time.time_ns()
    anonymous_text = _text("Je ne reçois plus les codes SMS.\nMerci de votre aide")
    email = f"dr-{uuid.uuid4().hex[:8]}@cabinet.example.ch"
    form = {"name": "Dre Anne Test", "email": email, "topic": "login", "text": anonymous_text}
    sent = await web.post_form("/help/contact", form, form_page="/help")
    assert sent.status == 303 and sent.headers["Location"] == "/help?sent=1#contact"
    assert "Votre message a été envoyé au support" in await (await web.get("/help?sent=1")).text()
    mail = await _mailed_to_support(stack, anonymous_text, since)
    assert mail["subject"] == "Portail médecins – message au support : Connexion"
    assert f"De : Dre Anne Test <{email}>" in mail["body"] and "Compte : non connecté" in mail["body"]

    doctor = await physicians.create()
    browser = await sign_in(doctor)
    session_text = _text("Un document attendu n’est pas arrivé")
    sent = await browser.post_form("/help/contact", {"topic": "documents", "text": session_text}, form_page="/help")
    assert sent.status == 303
    mail = await _mailed_to_support(stack, session_text, since)
    assert f"Compte : connecté ({doctor.login})" in mail["body"]
    assert f"<{doctor.login}@cabinet.example.ch>" in mail["body"]  # the account's address, not one typed

    admin = await physicians.create(role="admin")
    page = await (await (await sign_in(admin)).get("/admin/support")).text()
    assert page.index(session_text) < page.index(anonymous_text.splitlines()[1])  # newest first
    assert f"connecté ({doctor.login})" in page and "non connecté" in page
    assert "Un document n’arrive pas" in page and "Connexion" in page
    assert (await browser.get("/admin/support")).status == 403


async def test_a_refused_message_keeps_what_was_typed(web: WebClient) -> None:
    text = _text("Mon adresse est fausse")
    answer = await web.post_form(
        "/help/contact", {"name": "", "email": "pas une adresse", "topic": "other", "text": text}, form_page="/help"
    )
    page = await answer.text()
    assert answer.status == 400 and "Certains champs" in page
    assert text in page and 'value="pas une adresse"' in page
    assert 'id="email-error"' in page and 'id="name-error"' in page


async def test_the_contact_form_is_rate_limited_per_sender_and_per_address(
    physicians: Physicians, sign_in: SignIn
) -> None:
    async def write(email: str, address: str) -> None:
        message = support.AnonymousSupportMessage(
            name="Dr Flood", email=email, topic="other", text=_text("Encore"), client_ip=address
        )
        await physicians.call(support.WRITE_TO_SUPPORT, message)

    email = f"flood-{uuid.uuid4().hex[:8]}@cabinet.example.ch"
    for _ in range(5):
        await write(email, "")
    with pytest.raises(TooManyRequests):
        await write(email, "")
    address = f"2001:db8::{uuid.uuid4().hex[:4]}"
    for _ in range(5):
        await write(f"flood-{uuid.uuid4().hex[:8]}@cabinet.example.ch", address)
    with pytest.raises(TooManyRequests):
        await write(f"flood-{uuid.uuid4().hex[:8]}@cabinet.example.ch", address)

    browser = await sign_in(await physicians.create())  # per account, whatever the address
    for _ in range(5):
        sent = await browser.post_form("/help/contact", {"topic": "other", "text": _text("Encore")}, "/help")
        assert sent.status == 303
    kept = _text("Une fois de trop")
    refused = await browser.post_form("/help/contact", {"topic": "other", "text": kept}, "/help")
    assert refused.status == 429 and kept in await refused.text()


@pytest.mark.unit
def test_a_message_to_the_support_is_written_in_french_with_its_sender_to_answer() -> None:
    content = {
        "name": "Dr {Accolades}",
        "email": "dr@cabinet.example.ch",
        "account": None,
        "topic": "registration",
        "text": "Quand puis-je venir ? {0}",
        "received_at": "2026-12-01T09:30:00+00:00",
    }
    mail = help_texts.compose(help_texts.SUPPORT_MESSAGE, "en", "https://portail.example/", None, json.dumps(content))
    assert mail.subject == "Portail médecins – message au support : Inscription"
    assert "De : Dr {Accolades} <dr@cabinet.example.ch>" in mail.body and "Quand puis-je venir ? {0}" in mail.body
    assert "Reçu le : 01.12.2026 10:30" in mail.body and "https://portail.example/admin/support" in mail.body
    assert (
        Mailer(SmtpSettings("h", 25, None, None, False, False), "P <p@x.ch>").compose(SUPPORT_EMAIL, mail)["Reply-To"]
        == "dr@cabinet.example.ch"
    )
    with pytest.raises(KeyError):  # never composed without what was sealed
        help_texts.compose(help_texts.SUPPORT_MESSAGE, "fr", "https://portail.example/")


async def test_hostile_text_written_to_the_support_stays_text(
    browser: Browser, stack: Stack, web: WebClient, physicians: Physicians
) -> None:
    """What anyone may type reaches the administrators' page: shown as text, inert (like issue 12's
    XSS suite); the help page's refused form gives it back in its fields, inert too."""
    name, text = hostile("hn"), hostile("ht", url=True) + "\nsecond line"
    leaks.SENSITIVE.remember(leaks.SUPPORT_TEXT, text)
    form = {"name": name, "email": f"x-{uuid.uuid4().hex[:8]}@cabinet.example.ch", "topic": "other", "text": text}
    assert (await web.post_form("/help/contact", form, form_page="/help")).status == 303
    admin = await physicians.login(await physicians.create(role="admin"))
    async with _role_browser(browser, stack, admin.secret) as administrator:
        await administrator.shows("/admin/support", name, text)
    async with _role_browser(browser, stack, None) as anonymous:
        await anonymous.shows("/help")
        typed = {"name": name, "email": "not an address", "text": text}
        for field_name, value in typed.items():
            await anonymous.page.locator(f'[name="{field_name}"]').fill(value)
        async with anonymous.page.expect_navigation():
            await anonymous.page.locator('form[action="/help/contact"] [type="submit"]').click()
        await anonymous.shows_here(inputs=typed)
