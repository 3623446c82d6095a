"""The leak scan finds what the tests used where it must not be, and says where and what, not the value."""

from __future__ import annotations

import json
from pathlib import Path

from . import leaks


def _scan(tmp_path: Path, log: str, email: str = "", sms: str = "") -> list[str]:
    sensitive = leaks.Sensitive()
    sensitive.remember(leaks.PASSWORD, "pw-7f3a9c0e5b2d")
    sensitive.remember(leaks.TEMPORARY_PASSWORD, "Xk3-pqR8-Lm2w")
    sensitive.remember(leaks.CODE, "482913")
    sensitive.remember(leaks.TOKEN, "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg")
    sensitive.remember_patients({"document": {}, "patient": {"family_name": "Rochat", "given_name": "Élodie"}})
    sensitive.remember(leaks.PASSWORD, "short")  # a wrong password a test typed: no secret
    logs, outbox = tmp_path / "log", tmp_path / "outbox"
    logs.mkdir(parents=True)
    outbox.mkdir(parents=True)
    (logs / "identity.log").write_text(log)
    for kind, body in (("email", email), ("sms", sms)):
        message = {"kind": kind, "to": "a@b.ch", "subject": None, "body": body, "answer": ""}
        (outbox / f"1-{kind}.json").write_text(json.dumps(message))
    return leaks.find_leaks(leaks.scanned(logs, outbox), sensitive)


def test_a_clean_run_has_nothing_to_report(tmp_path: Path) -> None:
    log = "identity INFO login for short: wrong\ngateway INFO aiohttp.access: 127.0.0.1 GET /documents 200 482913 1.0ms"
    email = "Mot de passe provisoire : Xk3-pqR8-Lm2w\nTemporary password: pw-7f3a9c0e5b2d\n"  # where notify puts it
    assert _scan(tmp_path, log, email=email, sms="Votre code : 482913") == []


def test_a_log_lines_time_and_address_are_no_code(tmp_path: Path) -> None:
    """nats-server names `identity.api.login.code` in lines whose microseconds or port may be six
    digits: they are no code of ours (a full run once matched one)."""
    log = (
        '[28119] 2026/12/02 09:28:16.482913 [ERR] 127.0.0.1:48291 - cid:82 - "$G/user:gateway" - '
        'Subscription Violation - Subject "identity.api.login.code", SID 293\n'
        "identity INFO code asked from 10.0.0.1:482913\n"
    )
    assert _scan(tmp_path / "noise", log) == []
    leaked = log + "identity INFO login code 482913 sent\n"
    assert _scan(tmp_path / "leak", leaked) == ["identity.log: one-time code (1)"]


def test_each_leak_is_named_by_file_and_kind_without_its_value(tmp_path: Path) -> None:
    log = (
        "identity INFO password pw-7f3a9c0e5b2d, token "
        "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg\n"
        "identity INFO sent code 482913 for Rochat\n"
        "gateway INFO aiohttp.access: 127.0.0.1 GET /documents?patient=Rochat 200 12 1.0ms\n"
    )
    email = "Votre code : 482913\nMot de passe provisoire : Xk3-pqR8-Lm2w\nVotre mot de passe : pw-7f3a9c0e5b2d"
    found = _scan(tmp_path, log, email=email, sms="Xk3-pqR8-Lm2w")
    assert found == [
        "identity.log: one-time code (1)",
        "identity.log: password (1)",
        "identity.log: patient name (1)",
        "identity.log: query string in a request line (1)",
        "identity.log: session token (1)",
        "outbox email 1-email.json: one-time code (1)",
        "outbox email 1-email.json: password (1)",
        "outbox sms 1-sms.json: temporary password (1)",
    ]
    assert not any(secret in "\n".join(found) for secret in ("pw-7f3a", "482913", "Rochat", "Xk3"))


def test_what_a_request_says_is_found_in_an_email(tmp_path: Path) -> None:
    sensitive = leaks.Sensitive()
    draft = {"subject": "Avis cardiologique", "fields": {"question": "Coronarographie ?"}, "patient": None}
    sensitive.remember_requests(draft)
    sensitive.remember_requests({"message": {"text": "Rendez-vous le 3 mars", "author": "Dr Roux"}})
    logs, outbox = tmp_path / "log", tmp_path / "outbox"
    logs.mkdir(parents=True)
    outbox.mkdir(parents=True)
    (logs / "requests.log").write_text("requests INFO answered\n")
    body = "Un service a répondu à l’une de vos demandes : Avis cardiologique. Rendez-vous le 3 mars"
    message = {"kind": "email", "to": "a@b.ch", "subject": "Coronarographie ?", "body": body, "answer": ""}
    (outbox / "1-email.json").write_text(json.dumps(message))
    assert leaks.find_leaks(leaks.scanned(logs, outbox), sensitive) == [
        "outbox email 1-email.json: request text (subject, form answer, thread message) (3)"
    ]
