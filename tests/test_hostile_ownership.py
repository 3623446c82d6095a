"""The ownership matrix (issue 12, part 3): every gateway route that takes an id, with physician A's
ids, as physician B: refused, nothing of A's in the answer, and A's data unchanged.

The routes are the gateway router's own; `OWNED_IDS` says, for each kind of id in a path, how to
make one of A's. A route with an id that no entry covers fails `test_every_id_in_a_route_is_declared`:
a new route is covered as soon as it is declared there, never forgotten.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg
import pytest

from common.contracts import applications, documents, identity, registration, requests
from common.contracts import hospital_requests as contract_requests
from common.contracts.base import Empty
from deploy.stack import Stack

from .gateway_routes import Route, gateway_routes
from .portal import Hospital, Physician, Physicians, PortalEvents, Session, deliver, eventually, random_mobile
from .test_identity_validation import ID_COPY
from .test_registration import form
from .test_request_attachments import PNG, send_file
from .test_services_directory import _service as service_message
from .web import SignIn, WebClient

NOT_FOUND = frozenset({404})
"""A's thing, to B, is what a missing one is."""
STAFF_ONLY = frozenset({403, 404})
"""A staff page: B, a physician, is refused before anything of A's is looked at."""


@dataclass
class Owner:
    """Physician A and A's things, each kind of id a route may take."""

    doctor: Physician
    session: Session
    tag: str  # in A's patient's name and document titles: never in an answer to B
    unread_document: str
    read_document: str
    patient: str
    session_id: str
    granted_application: str
    asked_application: str
    registration_request: str
    patient_record: dict[str, Any]  # as the hospital sends it
    draft_request: str  # a consultation A is writing
    draft_file: str  # a file of that draft


@dataclass(frozen=True)
class IdKind:
    what: str
    ids: Callable[[Owner], list[dict[str, str]]]
    """A's values for the path's parameters, each tried in turn."""
    answers: frozenset[int]


OWNED_IDS: dict[str, IdKind | None] = {
    # Keyed by the path up to its last parameter: every route under it takes that kind of id.
    "/documents/{id}": IdKind(
        "a document delivered to A, one unread and one read",
        lambda a: [{"id": a.unread_document}, {"id": a.read_document}],
        NOT_FOUND,
    ),
    "/patients/{id}": IdKind("a patient of A", lambda a: [{"id": a.patient}], NOT_FOUND),
    "/profile/sessions/{id}": IdKind("A's open session", lambda a: [{"id": a.session_id}], NOT_FOUND),
    "/applications/{id}": IdKind(
        "an application A may open (B was never granted it)", lambda a: [{"id": a.granted_application}], NOT_FOUND
    ),
    "/admin/accounts/{id}": IdKind("A's account", lambda a: [{"id": a.doctor.account_id}], STAFF_ONLY),
    "/admin/applications/{id}": IdKind(
        "an application A was granted", lambda a: [{"id": a.granted_application}], STAFF_ONLY
    ),
    "/admin/applications/{id}/enrolments/{account}": IdKind(
        "A's enrolments, one waiting and one granted",
        lambda a: [
            {"id": a.asked_application, "account": a.doctor.account_id},
            {"id": a.granted_application, "account": a.doctor.account_id},
        ],
        STAFF_ONLY,
    ),
    "/validation/{id}": IdKind(
        "a registration request waiting for its check", lambda a: [{"id": a.registration_request}], STAFF_ONLY
    ),
    "/requests/{id}": IdKind("A's draft consultation request", lambda a: [{"id": a.draft_request}], NOT_FOUND),
    "/requests/{id}/files/{file}": IdKind(
        "a file of A's draft", lambda a: [{"id": a.draft_request, "file": a.draft_file}], NOT_FOUND
    ),
    "/requests/new/{kind}": None,  # a kind of request: no one's
    "/inbox/requests/{id}": IdKind(
        "A's draft request, in a service's inbox", lambda a: [{"id": a.draft_request}], STAFF_ONLY
    ),
    "/inbox/requests/{id}/{step}": IdKind(
        "A's draft request, taken or closed",
        lambda a: [{"id": a.draft_request, "step": s} for s in ("take", "close")],
        STAFF_ONLY,
    ),
    "/admin/services/{id}": None,  # a hospital service: no physician's (administrators only)
    "/lang/{locale}": None,  # a language: no one's
}

ANSWERS_OF_ROUTE = {
    # The catalogue is every physician's: asking to enrol in an application is B's own request.
    "POST /applications/{id}/enrolment": frozenset({303}),
}

# What each form needs to pass the gateway's own checks, so that the owner's check is what answers.
VALID_FORMS: dict[str, dict[str, str]] = {
    "/admin/accounts/{id}/mobile": {"mobile": random_mobile()},
    "/admin/accounts/{id}/mobile/confirm": {"code": "123456"},
    # the actions that end access act only once confirmed (issue 15)
    "/admin/accounts/{id}/deactivate": {"confirm": "1"},
    "/admin/accounts/{id}/reset-password": {"confirm": "1"},
    "/admin/accounts/{id}/reset-app": {"confirm": "1"},
    "/admin/accounts/{id}/unlink-hin": {"confirm": "1"},
    "/admin/applications/{id}/enrolments/{account}/refuse": {"confirm": "1"},
    "/admin/applications/{id}": {"slug": "taken-over", "name": "Volée", "url": "https://evil.example.com/sso"},
    "/validation/{id}/control/confirm": {"code": "123456"},
    "/validation/{id}/sign": {
        "check_method": "in_person",
        "id_document_number": "C1234567",
        "validator_name": "Intrus",
        "place": "Genève",
    },
    "/validation/{id}/login": {"login": "taken-over"},
    "/validation/{id}/refuse": {"reason": "other"},
    "/requests/{id}/reply": {"text": "Intrusion"},
}
UPLOADS = {"/validation/{id}/id-copy": "copy"}  # multipart: the file's field

ROUTES = gateway_routes()


def id_kind(route: Route) -> tuple[str, IdKind | None] | None:
    """The entry of OWNED_IDS that covers the route: the longest whose path the route's begins with."""
    covering = [prefix for prefix in OWNED_IDS if route.path == prefix or route.path.startswith(prefix + "/")]
    if not covering:
        return None
    prefix = max(covering, key=len)
    return prefix, OWNED_IDS[prefix]


def test_every_id_in_a_route_is_declared() -> None:
    """A route with a parameter needs an entry saying how to make one of A's, with every parameter."""
    routes = [route for route in ROUTES if route.parameters]
    assert routes, "no route with an id: the router was not read"
    missing = [str(route) for route in routes if id_kind(route) is None]
    assert not missing, f"add these routes' ids to OWNED_IDS: {missing}"
    partial = [str(route) for route in routes if not route.parameters <= _parameters_of(route)]
    assert not partial, f"an entry of OWNED_IDS leaves parameters of these routes out: {partial}"
    used = {kind[0] for route in routes if (kind := id_kind(route))}
    assert used == set(OWNED_IDS), f"entries of OWNED_IDS no route takes: {set(OWNED_IDS) - used}"
    paths = {route.path for route in ROUTES}
    stale = (set(VALID_FORMS) | set(UPLOADS) | {key.split(" ", 1)[1] for key in ANSWERS_OF_ROUTE}) - paths
    assert not stale, f"forms or answers declared for routes that no longer exist: {stale}"


def _parameters_of(route: Route) -> frozenset[str]:
    found = id_kind(route)
    return Route(route.method, found[0]).parameters if found else frozenset()


OWNED_ROUTES = [route for route in ROUTES if (found := id_kind(route)) and found[1] is not None]


@pytest.fixture(scope="module")
async def owner(stack: Stack, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians) -> Owner:
    tag = uuid.uuid4().hex[:10]
    doctor = await physicians.create()
    episode = hospital.episode()
    episode.patient["family_name"] = f"Proprio-{tag}"
    await deliver(portal_events, episode, doctor.gln, title=f"Lettre {tag} 1")
    await deliver(portal_events, episode, title=f"Lettre {tag} 2")
    session = await physicians.login(doctor)
    listed = await physicians.documents(session.token)
    read, unread = (item.id for item in listed.items)
    await physicians.call(documents.MARK_DOCUMENT, documents.MarkDocument(id=read, read=True), token=session.token)
    [open_session] = (await physicians.call(identity.LIST_SESSIONS, Empty(), token=session.token)).items

    admin = await physicians.login(await physicians.create(role="admin"))
    granted, asked = [await _enrolled(stack, physicians, admin.token, session.token) for _ in range(2)]
    await physicians.call(
        applications.DECIDE_ENROLMENT,
        applications.Decision(application_id=granted, account_id=doctor.account_id, grant=True),
        token=admin.token,
    )
    received = await physicians.call(registration.SUBMIT_REGISTRATION, registration.RegistrationSubmission(form=form()))
    assert physicians.pool is not None
    request_id = await physicians.pool.fetchval(
        "SELECT id::text FROM registration_requests WHERE reference = $1", received.reference
    )
    code = f"OWN-{tag}"
    await hospital.publish(contract_requests.SERVICES, service_message(code, "Service", datetime.now(UTC)))

    async def offered() -> bool | None:
        listed = await physicians.call(requests.LIST_SERVICES, requests.ListServices(), token=session.token)
        return any(service.code == code for service in listed.services) or None

    await eventually(offered, what="the service offered")
    draft_file = await send_file(physicians, session.token, PNG, f"{tag}.png")
    draft = requests.Draft(
        kind="consultation", service=code, subject=f"Demande {tag}", fields={"reason": tag}, attachments=[draft_file]
    )
    drafted = await physicians.call(requests.SAVE_DRAFT, draft, token=session.token)
    return Owner(
        draft_request=drafted.id,
        draft_file=draft_file,
        doctor=doctor,
        session=session,
        tag=tag,
        unread_document=unread,
        read_document=read,
        patient=listed.items[0].patient_id,
        session_id=open_session.id,
        granted_application=granted,
        asked_application=asked,
        registration_request=request_id,
        patient_record=episode.patient,
    )


async def _enrolled(stack: Stack, physicians: Physicians, admin_token: str, doctor_token: str) -> str:
    """An application that needs an enrolment, which the physician asked for."""
    slug = f"own-{uuid.uuid4().hex[:10]}"
    saved = await physicians.call(
        applications.SAVE_APPLICATION,
        applications.ApplicationSave(
            slug=slug, name=f"Application {slug}", url=f"{stack.partner_app_url}/{slug}", needs_enrolment=True
        ),
        token=admin_token,
    )
    await physicians.call(applications.ENROL, applications.ApplicationRef(id=saved.id), token=doctor_token)
    return saved.id


@pytest.fixture(scope="module")
async def intruder(stack: Stack, physicians: Physicians) -> AsyncIterator[WebClient]:
    """Physician B's browser, logged in."""
    session = await physicians.login(await physicians.create())
    client = WebClient(stack).hold(session.secret)
    yield client
    await client.close()


async def owners_data(
    owner: Owner, physicians: Physicians, documents_db: asyncpg.Pool, requests_db: asyncpg.Pool
) -> dict[str, Any]:
    """Every row of A's, and of the things A's ids name, in identity's, documents' and requests' schemas."""
    assert physicians.pool is not None
    identity_db, account = physicians.pool, uuid.UUID(owner.doctor.account_id)
    apps = [uuid.UUID(owner.granted_application), uuid.UUID(owner.asked_application)]
    queries: list[tuple[asyncpg.Pool, str, Any]] = [
        (documents_db, "SELECT to_jsonb(t) FROM deliveries t WHERE account_id = $1 ORDER BY id", account),
        (documents_db, "SELECT to_jsonb(t) FROM patient_tallies t WHERE account_id = $1", account),
        (requests_db, "SELECT to_jsonb(t) FROM requests t WHERE account_id = $1 ORDER BY id", account),
        (identity_db, "SELECT to_jsonb(t) FROM accounts t WHERE id = $1", account),
        (identity_db, "SELECT to_jsonb(t) FROM sessions t WHERE account_id = $1 ORDER BY id", account),
        (identity_db, "SELECT to_jsonb(t) FROM application_enrolments t WHERE account_id = $1", account),
        (identity_db, "SELECT to_jsonb(t) FROM applications t WHERE id = ANY($1) ORDER BY id", apps),
        (
            identity_db,
            "SELECT to_jsonb(t) FROM registration_requests t WHERE id = $1",
            uuid.UUID(owner.registration_request),
        ),
    ]
    return {sql: [json.loads(row[0]) for row in await pool.fetch(sql, value)] for pool, sql, value in queries}


async def ask(intruder: WebClient, route: Route, path: str) -> aiohttp.ClientResponse:
    """B asks, as B's browser would: a POST carries a valid CSRF token of B's own session."""
    if route.method == "GET":
        return await intruder.get(path)
    assert route.method == "POST", f"{route}: a method the matrix does not know"
    if route.path in UPLOADS:
        return await intruder.upload(path, UPLOADS[route.path], "copie.pdf", ID_COPY, form_page="/profile/sessions")
    return await intruder.post_form(path, VALID_FORMS.get(route.path, {}), form_page="/profile/sessions")


@pytest.mark.parametrize("route", OWNED_ROUTES, ids=str)
async def test_another_physician_gets_nothing_of_the_owners(
    route: Route,
    owner: Owner,
    intruder: WebClient,
    physicians: Physicians,
    documents_db: asyncpg.Pool,
    requests_db: asyncpg.Pool,
) -> None:
    found = id_kind(route)
    assert found is not None and found[1] is not None
    kind = found[1]
    answers = ANSWERS_OF_ROUTE.get(str(route), kind.answers)
    for ids in kind.ids(owner):
        path = route.path.format(**ids)
        before = await owners_data(owner, physicians, documents_db, requests_db)
        answer = await ask(intruder, route, path)
        assert answer.status in answers, f"{route} with {kind.what}: {answer.status}"
        body = await answer.read()
        for secret in (owner.tag, owner.doctor.login, owner.doctor.mobile):
            assert secret.encode() not in body, f"{route} with {kind.what} shows A's {secret}"
        assert await owners_data(owner, physicians, documents_db, requests_db) == before, f"{route} changed {kind.what}"
    assert await physicians.alive(owner.session), f"{route} ended A's session"


async def test_mark_all_as_read_by_another_physician_leaves_the_owners_documents_unread(
    owner: Owner, intruder: WebClient, physicians: Physicians, documents_db: asyncpg.Pool, requests_db: asyncpg.Pool
) -> None:
    """ "Mark all as read" takes no id: the documents service marks the caller's own, never A's."""
    before = await owners_data(owner, physicians, documents_db, requests_db)
    answer = await intruder.post_form("/documents/read", {}, form_page="/documents")
    assert answer.status == 303
    assert await owners_data(owner, physicians, documents_db, requests_db) == before


async def test_a_patient_both_physicians_follow_shows_each_only_their_own_documents(
    owner: Owner, hospital: Hospital, portal_events: PortalEvents, physicians: Physicians, sign_in: SignIn
) -> None:
    """The one case where B may open A's patient id: the patient designated B too (another episode)."""
    colleague = await physicians.create()
    own_title = f"Consultation {uuid.uuid4().hex[:8]}"
    await deliver(portal_events, hospital.episode(patient=owner.patient_record), colleague.gln, title=own_title)
    browsing = await sign_in(colleague)
    page = await browsing.get(f"/patients/{owner.patient}")
    text = await page.text()
    assert page.status == 200 and own_title in text
    assert f"Lettre {owner.tag}" not in text
    for document in (owner.unread_document, owner.read_document):
        assert (await browsing.get(f"/documents/{document}")).status == 404


async def test_a_request_naming_another_physician_s_patient_is_refused_and_tells_nothing(
    owner: Owner, intruder: WebClient, requests_db: asyncpg.Pool
) -> None:
    """B names A's patient by its Mes patients id in a request: the requests service asks the
    documents service, which says the patient is not B's; nothing is saved, nothing of A's shown."""
    form = {"service": f"OWN-{owner.tag}|adults", "subject": "Intrusion", "my_patient": owner.patient}
    for path in ("/requests/new/consultation", "/requests/new/consultation/autosave"):
        answer = await intruder.post_form(path, {**form, "action": "save"}, form_page="/requests/new/consultation")
        body = await answer.text()
        assert answer.status == 400 and ("my_patient" in body or "Ce patient" in body), (path, answer.status)
        assert (
            f"Proprio-{owner.tag}" not in body and owner.patient_record["id"] not in body
        )  # the service is everyone's
    assert not await requests_db.fetchval("SELECT count(*) FROM requests WHERE subject = 'Intrusion'")
