"""Notifications are durable commands, and notify owns every text: identity asks (sealed secrets,
through its outbox and the NOTIFY stream), notify records each once and sends it after its
commit, in the recipient's language. Bad commands are refused by field and rule, and kept."""

from __future__ import annotations

import json
import re
import string
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import asyncpg
import pytest

from common.contracts import notifications as notify
from common.envelopes import Opener, Sealer, SealingError, new_key_pair
from deploy.stack import Stack
from services.notify import help_texts, messages, sms_texts
from services.notify.ledger import Ledger, alive

from .portal import Hospital, Physicians, PortalEvents, deliver, eventually, outbox_messages, random_mobile
from .test_daily_summary import answer_arrives
from .test_email_claims import a_copy_stopped, ledger_schema
from .web import SignIn

LANGUAGES = ("fr", "de", "it", "en")


@pytest.mark.unit
@pytest.mark.parametrize("language", ["fr", "de", "it", "en"])
def test_every_code_and_notice_has_its_text_in_each_language(language: str) -> None:
    for purpose in get_args(notify.CodePurpose):
        text = sms_texts.compose(sms_texts.CODE + purpose, language, {"minutes": 5}, "123456")
        assert "123456" in text and "5" in text, purpose
    for kind in get_args(notify.NoticeKind):
        assert sms_texts.compose(sms_texts.NOTICE + kind, language, {}, None), kind
    assert sms_texts.compose(sms_texts.CODE + "login", "de-CH", {}, "123456").startswith("Ihr Anmeldecode")
    assert sms_texts.compose(sms_texts.CODE + "login", "es", {}, "123456").startswith("Votre code")  # French


@pytest.mark.unit
@pytest.mark.parametrize("language", ["fr", "de", "it", "en"])
def test_every_temporary_password_email_has_its_text_in_each_language(language: str) -> None:
    for reason in get_args(notify.TemporaryPasswordReason):
        mail = messages.compose(
            messages.TEMPORARY_PASSWORD + reason,
            language,
            "https://portal.example/",
            {"login": "dr-house", "valid_hours": 72},
            "abcde-fghij",
        )
        assert "dr-house" in mail.body and "abcde-fghij" in mail.body and "72" in mail.body, reason
        assert "https://portal.example/login" in mail.body and mail.subject, reason
    with pytest.raises(KeyError):  # a password's email is never composed without its password
        messages.compose(messages.TEMPORARY_PASSWORD + "password_reset", language, "https://p", {"login": "x"})


@pytest.mark.unit
@pytest.mark.parametrize("language", ["fr", "de", "it", "en"])
def test_every_email_notice_has_its_text_in_each_language(language: str) -> None:
    for kind in get_args(notify.EmailNoticeKind):
        if kind == "registration_refused":
            continue  # with its reason, below
        mail = messages.compose(messages.EMAIL_NOTICE + kind, language, "https://portal.example/")
        assert mail.subject and "https://portal.example/login" in mail.body, kind
    worded = set()
    for reason in get_args(notify.RegistrationRefusalReason):
        fields = {"reference": "R-ABCD-EFGH", "reason": reason}
        mail = messages.compose(messages.EMAIL_NOTICE + "registration_refused", language, "https://p.example/", fields)
        assert "R-ABCD-EFGH" in mail.body and "https://p.example/register" in mail.body and reason not in mail.body
        worded.add(mail.body)
    assert len(worded) == len(get_args(notify.RegistrationRefusalReason))  # each reason its own words


def every_email(language: str) -> dict[str, messages.MailText]:
    """Each kind of email notify sends, composed in `language`."""
    portal, password = "https://portal.example", {"login": "dr-house", "valid_hours": 72}
    kinds: dict[str, messages.MailText] = {
        kind: messages.compose(kind, language, portal, {"request_id": "r1", "documents": 2, "answers": 1})
        for kind in (
            messages.NEW_DOCUMENT,
            messages.NEW_DOCUMENTS,
            messages.REQUEST_ANSWERED,
            messages.REQUESTS_ANSWERED,
            messages.DAILY_SUMMARY,
        )
    }
    for reason in get_args(notify.TemporaryPasswordReason):
        kind = messages.TEMPORARY_PASSWORD + reason
        kinds[kind] = messages.compose(kind, language, portal, password, "abcde-fghij")
    notice_fields = {"reference": "R-2026-0042", "reason": "other"}  # what a refusal's notice says
    for notice in get_args(notify.EmailNoticeKind):
        kind = messages.EMAIL_NOTICE + notice
        kinds[kind] = messages.compose(kind, language, portal, notice_fields)
    return kinds


def every_sms(language: str) -> dict[str, str]:
    codes = {
        sms_texts.CODE + purpose: sms_texts.compose(sms_texts.CODE + purpose, language, {"minutes": 5}, "123456")
        for purpose in get_args(notify.CodePurpose)
    }
    notices = {
        sms_texts.NOTICE + kind: sms_texts.compose(sms_texts.NOTICE + kind, language, {}, None)
        for kind in get_args(notify.NoticeKind)
    }
    return codes | notices


@pytest.mark.unit
def test_every_email_and_sms_is_written_in_each_of_the_four_languages() -> None:
    """Each kind in the account's language: French, German, Italian and English texts of their own
    (a kind with one language only, or another's words, fails)."""
    emails = {language: every_email(language) for language in LANGUAGES}
    greetings = {"fr": "Bonjour,", "de": "Guten Tag", "it": "Buongiorno,", "en": "Hello,"}
    # Formal address: vous, Sie, Lei (its capitalised La, Le, Sua...), you.
    polite = {
        "fr": r"\b[vV](ous|otre|os)\b",
        "de": r"\b(Sie|Ihr\w*)\b",
        "it": r"\b(La|Le|Lei|Su[aoe]i?)\b",
        "en": r"\b[yY]ou",
    }
    for kind in emails["fr"]:
        assert len({emails[language][kind].subject for language in LANGUAGES}) == 4, kind
        for language in LANGUAGES:
            text = emails[language][kind]
            assert text.body.startswith(greetings[language]), (kind, language)
            assert re.search(polite[language], text.body + text.subject), (kind, language)
            assert "ß" not in text.body + text.subject, kind  # Swiss German
    sms = {language: every_sms(language) for language in LANGUAGES}
    portal = {"fr": "portail", "de": "portal", "it": "portale", "en": "portal"}
    for kind in sms["fr"]:
        assert len({sms[language][kind] for language in LANGUAGES}) == 4, kind
        for language in LANGUAGES:
            assert portal[language] in sms[language][kind].lower() and "ß" not in sms[language][kind], kind
    assert every_email("en-GB") == emails["en"] and every_sms("de-CH") == sms["de"] and every_sms("it-CH") == sms["it"]
    assert every_sms("es") == sms["fr"]  # a language without texts: French


def language_texts(texts: object, where: str = "") -> Iterator[tuple[str, dict[str, object]]]:
    """Every table of notify's texts keyed by language, found in `texts` (a module's or a table's)."""
    if isinstance(texts, dict):
        if "fr" in texts or "en" in texts:
            yield where, texts
            return
        for key, value in texts.items():
            yield from language_texts(value, f"{where}.{key}")


def placeholders(text: object) -> list[str]:
    """The `{names}` of a text, or of all the texts of a MailText, a tuple or a dict, in order."""
    if isinstance(text, str):
        return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    if isinstance(text, messages.MailText):
        return placeholders(text.subject) + placeholders(text.body)
    if isinstance(text, tuple):
        return [name for part in text for name in placeholders(part)]
    if isinstance(text, dict):
        return [f"{key}:{name}" for key, part in text.items() for name in placeholders(part)]
    raise AssertionError(f"not a text: {text!r}")


@pytest.mark.unit
def test_no_text_lacks_a_language_and_each_language_has_the_french_placeholders() -> None:
    found = 0
    for module in (messages, sms_texts, help_texts):
        for name, value in vars(module).items():
            for where, table in language_texts(value, f"{module.__name__}.{name}"):
                found += 1
                assert sorted(table) == sorted(LANGUAGES), where
                for language in LANGUAGES:
                    assert placeholders(table[language]) == placeholders(table["fr"]), (where, language)
    assert found >= 20


@pytest.mark.unit
def test_a_secret_sealed_for_notify_opens_only_with_notify_s_key() -> None:
    private, public = new_key_pair()
    sealed = Sealer(public).seal("123456")
    assert "123456" not in sealed and Opener(private).open(sealed) == "123456"
    assert Sealer(public).seal("123456") != sealed  # a new ephemeral key each time
    with pytest.raises(SealingError):
        Opener(new_key_pair()[0]).open(sealed)
    with pytest.raises(SealingError):
        Opener(private).open("not base64 at all!")
    with pytest.raises(ValueError):
        Sealer("c2hvcnQ=")  # not 32 bytes


async def test_a_login_code_goes_by_sms_once_and_no_table_keeps_it(
    physicians: Physicians, notify_db: asyncpg.Pool
) -> None:
    doctor = await physicians.create()
    since = time.time_ns()
    challenge, code = await physicians.ask_code(doctor)
    assert challenge
    [sms] = outbox_messages(physicians.stack.outbox_dir, "sms", doctor.mobile, since)
    assert code in sms["body"] and "Il expire dans 5 minutes" in sms["body"]

    async def settled() -> asyncpg.Record | None:
        row = await notify_db.fetchrow(
            "SELECT state, kind, sealed, message_id, fields::text FROM outgoing_sms WHERE account_id = $1",
            doctor.account_id,
        )
        return row if row is not None and row["state"] == "sent" else None

    row = await eventually(settled, what="the code's SMS recorded as sent")
    assert row["kind"] == "code.login" and row["sealed"] is None and code not in row["fields"]
    assert sms["message_id"] == row["message_id"]  # the idempotency token the provider was given


async def test_a_code_past_its_expiry_is_not_sent_and_a_bad_command_is_kept_as_rejected(
    stack: Stack, notify_db: asyncpg.Pool
) -> None:
    assert stack.secrets is not None
    mobile, sealer = random_mobile(), Sealer(stack.secrets.notify_public_key)
    nc = await stack.connect_nats("identity")
    try:
        js = nc.jetstream()

        async def publish(subject: str, body: dict[str, Any], event_id: str) -> None:
            await js.publish(subject, json.dumps(body).encode(), headers={"Nats-Msg-Id": event_id})

        expired = notify.SendCode(
            to=mobile,
            purpose="login",
            code=sealer.seal("654321"),
            expires_at=datetime.now(UTC) - timedelta(seconds=1),
            account_id=f"test-{uuid.uuid4().hex}",
        )
        await publish(notify.SEND_CODE, expired.model_dump(mode="json"), expired.event_id)
        bad_id = uuid.uuid4().hex
        await publish(notify.SEND_CODE, {"event_id": bad_id, "to": "not a number", "purpose": "login"}, bad_id)
    finally:
        await nc.close()

    async def expired_row() -> str | None:
        state = await notify_db.fetchval("SELECT state FROM outgoing_sms WHERE account_id = $1", expired.account_id)
        return state if state in ("expired", "sent") else None

    assert await eventually(expired_row, what="the expired code settled") == "expired"
    assert not outbox_messages(stack.outbox_dir, "sms", mobile)

    async def rejected() -> asyncpg.Record | None:
        return await notify_db.fetchrow("SELECT subject, reason FROM rejections WHERE event_id = $1", bad_id)

    rejection = await eventually(rejected, what="the malformed command kept as rejected")
    assert rejection["subject"] == notify.SEND_CODE and "to" in rejection["reason"]
    assert "not a number" not in rejection["reason"]  # by field and rule, never the content


async def test_a_code_goes_in_the_account_s_language(physicians: Physicians) -> None:
    doctor = await physicians.create()
    assert physicians.pool is not None
    await physicians.pool.execute("UPDATE accounts SET locale = 'en' WHERE id = $1", uuid.UUID(doctor.account_id))
    since = time.time_ns()
    challenge, _ = await physicians.ask_code(doctor)
    [sms] = outbox_messages(physicians.stack.outbox_dir, "sms", doctor.mobile, since)
    assert sms["body"].startswith("Your portal login code") and challenge


async def test_emails_and_sms_go_in_the_language_chosen_in_the_profile(
    stack: Stack, sign_in: SignIn, physicians: Physicians, hospital: Hospital, portal_events: PortalEvents
) -> None:
    doctor = await physicians.create()
    web = await sign_in(doctor)
    profile = await (await web.get("/profile")).text()
    assert 'name="locale" type="radio" value="fr" checked' in profile  # the account's, French until chosen
    choices = {"notify_new_documents": "each", "patients_scope": "all", "documents_scope": "all"}
    saved = await web.post_form("/profile", {**choices, "landing_page": "documents", "locale": "en"})
    assert saved.status == 303 and saved.cookies["portal_lang"].value == "en"  # the pages' language too
    assert 'value="en" checked' in await (await web.get("/profile")).text()
    assert "My profile" in await (await web.get("/profile")).text()

    since = time.time_ns()
    await deliver(portal_events, hospital.episode(), doctor.gln)
    await answer_arrives(stack, doctor)
    email = f"{doctor.login}@cabinet.example.ch"

    async def both() -> list[dict] | None:
        found = outbox_messages(stack.outbox_dir, "email", email, since)
        return found if len(found) == 2 else None

    subjects = {message["subject"] for message in await eventually(both, what="two emails")}
    assert subjects == {"New document on the portal", "An answer to one of your requests"}
    await physicians.ask_code(doctor)
    [sms] = outbox_messages(stack.outbox_dir, "sms", doctor.mobile, since)
    assert sms["body"].startswith("Your portal login code")
    # The form without the field (a page from before) keeps the language.
    await web.post_form("/profile", {**choices, "landing_page": "patients"})
    assert 'value="en" checked' in await (await web.get("/profile")).text()
    # German: the pages at once, and the SMS.
    await web.post_form("/profile", {**choices, "landing_page": "documents", "locale": "de"})
    assert '<html lang="de"' in await (await web.get("/profile")).text()
    since = time.time_ns()
    await physicians.ask_code(doctor)
    [sms] = outbox_messages(stack.outbox_dir, "sms", doctor.mobile, since)
    assert sms["body"].startswith("Ihr Anmeldecode für das Portal")
    await deliver(portal_events, hospital.episode(), doctor.gln)

    async def german() -> list[dict] | None:
        return outbox_messages(stack.outbox_dir, "email", email, since) or None

    [mail] = await eventually(german, what="the email in German")
    assert mail["subject"] == "Neues Dokument im Portal" and mail["body"].startswith("Guten Tag")


async def test_a_message_whose_copy_died_while_handing_it_over_goes_again_to_an_idempotent_receiver(
    stack: Stack,
) -> None:
    """With a receiver that takes the same Message-ID or token twice as once, nothing is left in
    doubt: the message is handed over again (the other case, at most once: test_email_claims)."""
    async with ledger_schema(stack) as conn:
        sms = Ledger("outgoing_sms", idempotent_receiver=True)
        await sms.insert(conn, kind="notice.mobile_changed", locale="fr", address="+41790000001", domain="p.example")
        first, second = uuid.uuid4(), uuid.uuid4()
        await alive(conn, first)
        claimed = await sms.claim_due(conn, first)
        assert claimed is not None and await sms.sending(conn, claimed)
        await a_copy_stopped(conn, first)
        await alive(conn, second)
        assert await sms.abandoned(conn) == (1, 0)  # due again, not uncertain
        again = await sms.claim_due(conn, second)
        assert again is not None and again.message_id == claimed.message_id  # the same token
