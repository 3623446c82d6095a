"""The applicant's copy of their identity document, sent with the public registration form for a
check by video call (issue 14): sealed as the validators' copies are, shown on the request's page,
kept only for the request it came with, once; a file that is no document or too large comes back
with the form, and nothing is kept."""

from __future__ import annotations

import base64
import re
import uuid

import asyncpg

from common.contracts import registration
from gateway.id_copy_parts import read_start, send_in_parts
from gateway.uploads import READ_SIZE

from .portal import Physicians, random_gln, random_mobile
from .test_identity_validation import ID_COPY
from .test_registration import REFERENCE, form
from .web import SignIn, WebClient


def _fields(gln: str) -> list[tuple[str, str]]:
    """The public form's fields, in the page's order (the file field is its last)."""
    return [
        ("family_name", "Favre"),
        ("given_name", "Claire"),
        ("number", gln),
        ("street", "Rue du Rhône 1"),
        ("postcode", "1204"),
        ("city", "Genève"),
        ("country", "CH"),
        ("email", f"{uuid.uuid4().hex[:10]}@cabinet.example.ch"),
        ("mobile", random_mobile()),
        ("signed_place", "Genève"),
        ("signed", "1"),
    ]


async def _requests_with(pool: asyncpg.Pool, gln: str) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT id::text, id_copy_size, id_copy_from_applicant, applicant_copy_ticket FROM registration_requests "
        "WHERE gln = $1",
        gln,
    )


async def test_the_applicant_s_copy_reaches_the_validators_sealed(
    web: WebClient, physicians: Physicians, sign_in: SignIn
) -> None:
    gln = random_gln()
    form_page = await (await web.get("/register")).text()
    assert 'enctype="multipart/form-data"' in form_page and 'name="id_copy" type="file"' in form_page
    assert form_page.index('name="signed"') < form_page.index('name="id_copy"')  # the text reaches us first
    sent = await web.post_multipart("/register", _fields(gln), [("id_copy", "carte.pdf", ID_COPY)], "/register")
    assert sent.status == 303 and sent.headers["Location"].endswith("&copy=kept")
    done = await (await web.get(sent.headers["Location"])).text()
    assert "La copie de votre pièce d’identité a bien été reçue" in done

    assert physicians.pool is not None
    [request] = await _requests_with(physicians.pool, gln)
    assert (request["id_copy_size"], request["id_copy_from_applicant"]) == (len(ID_COPY), True)
    assert request["applicant_copy_ticket"] is None  # spent
    kept = await physicians.pool.fetch(
        "SELECT sealed FROM id_copy_kept WHERE request_id = $1 ORDER BY seq", uuid.UUID(request["id"])
    )
    assert len(kept) == 2 and all(b"scan of an identity card" not in bytes(part["sealed"]) for part in kept)

    validator = await sign_in(await physicians.create(role="validator"))
    path = f"/validation/{request['id']}"
    page = await (await validator.get(path)).text()
    assert "Copie conservée" in page and "envoyée par le demandeur avec le formulaire" in page
    shown = await validator.get(f"{path}/id-copy")
    assert shown.status == 200 and await shown.read() == ID_COPY


async def test_a_form_without_a_copy_sends_none(web: WebClient, physicians: Physicians) -> None:
    """An empty file field (a browser sends a part with no name and no bytes): a request, no copy."""
    gln = random_gln()
    sent = await web.post_multipart("/register", _fields(gln), [("id_copy", "", b"")], "/register")
    assert sent.status == 303 and "copy=" not in sent.headers["Location"]
    assert physicians.pool is not None
    [request] = await _requests_with(physicians.pool, gln)
    assert request["id_copy_size"] is None and request["applicant_copy_ticket"] is None


async def test_a_copy_that_cannot_be_kept_comes_back_with_the_form(web: WebClient, physicians: Physicians) -> None:
    """Told on the form, with everything typed, and no request kept: a copy that is no PDF, JPEG
    or PNG; one past 5 MB; and a copy sent with fields to correct (to choose again)."""
    assert physicians.pool is not None
    gln = random_gln()
    files = {
        "not_a_document": b"<html><script>alert(1)</script></html>",
        "too_large": b"%PDF-" + bytes(registration.ID_COPY_MAX_BYTES + 64 * 1024),
    }
    for problem, data in files.items():
        refused = await web.post_multipart("/register", _fields(gln), [("id_copy", "carte.pdf", data)], "/register")
        page = await refused.text()
        said = re.search(r'id="id_copy-error">([^<]*)<', page)
        assert refused.status == 400 and said and 'value="Rue du Rhône 1"' in page, problem
        assert ("dépasse 5 Mo" in said.group(1)) == (problem == "too_large"), problem
    wrong = [(name, "" if name == "city" else value) for name, value in _fields(gln)]
    again = await web.post_multipart("/register", wrong, [("id_copy", "carte.pdf", ID_COPY)], "/register")
    page = await again.text()
    assert again.status == 400 and "Choisissez à nouveau la copie" in page and 'id="city-error"' in page
    assert await _requests_with(physicians.pool, gln) == []

    # Just past 5 MB, within what the body's length leaves unsure: the request is kept, not the copy.
    just_past = b"%PDF-" + bytes(registration.ID_COPY_MAX_BYTES - 4)
    sent = await web.post_multipart("/register", _fields(gln), [("id_copy", "carte.pdf", just_past)], "/register")
    assert sent.status == 303 and sent.headers["Location"].endswith("&copy=not_kept")
    done = await (await web.get(sent.headers["Location"])).text()
    assert "n’a pas pu être conservée" in done and "montrez votre pièce d’identité" in done
    [request] = await _requests_with(physicians.pool, gln)
    assert request["id_copy_size"] is None


async def _part(physicians: Physicians, ticket: str, data: bytes) -> registration.IdCopyReceived:
    part = registration.ApplicantCopyPart(ticket=ticket, seq=0, data_b64=base64.b64encode(data).decode(), last=True)
    return await physicians.call(registration.STORE_APPLICANT_COPY, part)


async def test_a_ticket_keeps_one_copy_of_its_own_request_and_nothing_else(physicians: Physicians) -> None:
    """What the public bus endpoint takes: a copy for the request whose form asked for it, once;
    any other ticket (made up, spent, a known number's) gets the same answer and fills nothing."""
    assert physicians.pool is not None
    filled = form()
    asked = registration.RegistrationSubmission(form=filled, id_copy=True)
    received = await physicians.call(registration.SUBMIT_REGISTRATION, asked)
    assert REFERENCE.fullmatch(received.reference) and received.id_copy_ticket is not None
    made_up = str(uuid.uuid4())
    assert (await _part(physicians, made_up, ID_COPY[:1000])).stored
    assert (await _part(physicians, received.id_copy_ticket, ID_COPY[:1000])).stored
    assert (await _part(physicians, received.id_copy_ticket, b"%PDF-another copy")).stored  # spent: the same
    [request] = await _requests_with(physicians.pool, str(filled.gln))
    assert request["id_copy_size"] == 1000 and request["id_copy_from_applicant"]

    doctor = await physicians.create()  # a known number: a ticket all the same, good for nothing
    known = await physicians.call(
        registration.SUBMIT_REGISTRATION, registration.RegistrationSubmission(form=form(gln=doctor.gln), id_copy=True)
    )
    assert known.id_copy_ticket is not None and (await _part(physicians, known.id_copy_ticket, ID_COPY[:1000])).stored
    for ticket in (made_up, known.id_copy_ticket, received.id_copy_ticket):
        waiting = await physicians.pool.fetchval(
            "SELECT count(*) FROM id_copy_parts WHERE upload_id = $1", uuid.UUID(ticket)
        )
        assert waiting == 0
    assert re.fullmatch(r"[0-9a-f-]{36}", known.id_copy_ticket)


class _Browser:
    """A file part as the browser sends it, in chunks; how far it has been read."""

    def __init__(self, data: bytes) -> None:
        self.data, self.read = data, 0

    async def read_chunk(self, size: int) -> bytes:
        chunk = self.data[self.read : self.read + size]
        self.read += len(chunk)
        return chunk


async def test_a_copy_goes_to_identity_in_parts_as_it_comes_never_whole() -> None:
    """The gateway holds a part and what it read ahead, never the copy (the validators' upload read
    the whole 5 MB before it sent anything)."""
    data = b"%PDF-" + bytes(range(256)) * (registration.ID_COPY_MAX_BYTES // 256 - 1)
    browser, head = _Browser(data), bytearray()
    assert await read_start(browser, head)
    parts: list[tuple[int, bytes, bool]] = []
    ahead = []

    async def send(seq: int, piece: bytes, last: bool) -> None:
        parts.append((seq, piece, last))
        ahead.append(browser.read - sum(len(part[1]) for part in parts))  # read, not yet sent

    assert await send_in_parts(browser, head, send)
    assert b"".join(piece for _, piece, _ in parts) == data and [seq for seq, _, _ in parts] == list(range(10))
    assert all(len(piece) == registration.ID_COPY_PART_BYTES for _, piece, _ in parts[:-1])
    assert [last for _, _, last in parts] == [False] * 9 + [True]
    assert max(ahead) <= READ_SIZE  # beyond the part being sent, one chunk at most

    too_large, parts = _Browser(data + bytes(registration.ID_COPY_MAX_BYTES - len(data) + 1)), []
    head = bytearray()
    assert await read_start(too_large, head)
    assert not await send_in_parts(too_large, head, send)
    assert not any(last for _, _, last in parts)  # its last part never goes: identity keeps nothing
