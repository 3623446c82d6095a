"""XSS (issue 12, part 6): hostile text planted where the portal takes text from outside (the
hospital's messages, the public registration form, the validators' and administrators' forms, query
strings; and, issue 13, the hospital's directory of services, a physician's request and its files,
the hospital's and the service's answers), then real Chromium opens every page that shows it, one
browser context per role.

On each page: no dialog opened, no Content-Security-Policy violation (CSP would stop an injected
script: a violation is the sign of an injection it caught), no element or attribute the payloads
would have made, and each payload shown as text.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import asyncpg
import pytest
from playwright.async_api import Browser, ConsoleMessage, Dialog, Page, expect
from yarl import URL

from common.contracts import applications, registration
from common.contracts import hospital_requests as contract
from common.contracts import requests as api
from deploy import hospital_sim
from deploy.stack import Stack

from .portal import (
    Hospital,
    Physician,
    Physicians,
    PortalEvents,
    Session,
    deliver,
    eventually,
    random_gln,
    random_mobile,
    sms_to,
)
from .test_applications import create_application
from .test_identity_validation import keep_copy
from .test_request_attachments import PNG, _inline, send_file
from .test_request_drafts import _answer
from .test_services_directory import _service
from .web import WebClient

HOSTILE = "\"'><img src=x onerror=alert(1)><script>alert(2)</script></title><svg onload=alert(3)>{{7*7}}${7*7}"
"""Breaks out of an attribute, a text node and <title>; and a template expression, Jinja's or JavaScript's."""
HOSTILE_URL = "javascript:alert(4)//"


def hostile(label: str, url: bool = False) -> str:
    """A payload that says where it was planted (each page shows several)."""
    return f"{HOSTILE_URL if url else ''}{label}{HOSTILE}"


def hostile_each(**labels: str) -> Callable[[], dict[str, str]]:
    """A form's fields (a dataclass field's default): each name's payload, planted under its label."""
    return lambda: {name: hostile(label) for name, label in labels.items()}


def hostile_file(label: str) -> str:
    """A payload a physician's file may be named (the gateway keeps only what follows a '/' or '\\')."""
    return f"{label}{HOSTILE.replace('/', '')}.png"


# What the payloads would make, were they markup: none of it is ever the portal's own.
INJECTED = 'img[src="x"], svg[onload], [onerror], [onload], script:not([src]), a[href^="javascript:" i]'

# Playwright adds this before the page's own scripts (the page's CSP does not apply to it).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@dataclass
class Planted:
    """The hostile text, where it went in, and the ids of the pages that show it."""

    patient_family: str = hostile("pf", url=True)
    patient_given: str = hostile("pg")
    title: str = hostile("ti", url=True)
    service: str = hostile("se", url=True)
    author: str = hostile("au")
    undelivered_id: str = hostile("ud")
    undelivered_title: str = hostile("ut")
    application_name: str = hostile("an")
    application_description: str = hostile("ad", url=True)
    applicant: dict[str, str] = field(
        default_factory=hostile_each(
            family_name="rf", given_name="rg", street="rs", address_extra="rx", city="rc", signed_place="rp"
        )
    )
    validator_name: str = hostile("vn")
    validated_place: str = hostile("vp")
    service_name: str = hostile("sn")
    board_name: str = hostile("bn")
    subject: str = hostile("su", url=True)
    answers: dict[str, str] = field(
        default_factory=hostile_each(reason="re", question="qu", clinical_information="ci", current_treatment="ct")
    )
    """A consultation's fields."""
    typed_family: str = hostile("tf")
    typed_given: str = hostile("tg")
    file_name: str = hostile_file("fn")
    hospital_text: str = hostile("ht")
    hospital_author: str = hostile("ha")
    hospital_file: str = hostile("hf")
    staff_text: str = hostile("st")
    document: str = ""
    patient: str = ""
    application: str = ""
    request: str = ""
    service_code: str = ""
    consultation: str = ""
    draft: str = ""
    member_session: str = ""
    """The service's member's browser cookie (their authenticator's code is good for one login only)."""

    @property
    def thread(self) -> tuple[str, ...]:
        """The consultation's thread: the hospital's answer, its file, and the member's answer."""
        return (self.hospital_text, self.hospital_author, self.hospital_file, self.staff_text)


@pytest.fixture(scope="module")
async def planted(
    stack: Stack,
    hospital: Hospital,
    portal_events: PortalEvents,
    physicians: Physicians,
    requests_db: asyncpg.Pool,
    doctor: Physician,
) -> Planted:
    """Everything planted through its real way in: the bus, the public form, the staff's forms."""
    found = Planted()
    await _from_the_hospital(found, hospital, portal_events, doctor)
    session = await physicians.login(doctor)
    admin = await physicians.login(await physicians.create(role="admin"))
    await _from_the_administrators_form(found, stack, physicians, admin, session.token, doctor)
    await _from_the_registration_form(found, stack, physicians, admin.token)
    await _a_request_and_its_answers(found, hospital, physicians, requests_db, admin.token, session.token)
    [item] = (await physicians.documents(session.token)).items
    found.document, found.patient = item.id, item.patient_id
    return found


async def _hostile_names(physicians: Physicians, label: str, role: str = "physician") -> Physician:
    """An account under hostile names of its own (`label`f, `label`g)."""
    account = await physicians.create(role=role)
    assert physicians.pool is not None
    await physicians.pool.execute(
        "UPDATE accounts SET family_name = $2, given_name = $3 WHERE id = $1",
        uuid.UUID(account.account_id),
        hostile(f"{label}f"),
        hostile(f"{label}g"),
    )
    return account


@pytest.fixture(scope="module")
async def doctor(physicians: Physicians) -> Physician:
    """The physician the hospital designates, under a hostile name of their own (every page shows it)."""
    return await _hostile_names(physicians, "d")


async def _from_the_hospital(
    found: Planted, hospital: Hospital, portal_events: PortalEvents, doctor: Physician
) -> None:
    patient = hospital_sim.patient(found.patient_family, found.patient_given, "1961-02-03", "female")
    episode = hospital.episode(patient=patient)
    await episode.designate(doctor.gln, service=found.service)
    await deliver(
        portal_events, episode, title=found.title, service=found.service, author=found.author, category=hostile("ca")
    )
    await episode.document(  # never delivered: not final
        document_id=found.undelivered_id, status="preliminary", title=found.undelivered_title, service=found.service
    )
    await portal_events.wait_for("portal.documents.undelivered", document_id=found.undelivered_id)


async def _from_the_administrators_form(
    found: Planted, stack: Stack, physicians: Physicians, admin: Session, doctor_token: str, doctor: Physician
) -> None:
    """An application named and described by an administrator; the physician asks to enrol in it,
    which is granted (the administrators' page lists the physician's name, the catalogue a button)."""
    texts = {"name": found.application_name, "description": found.application_description}
    browsing = WebClient(stack).hold(admin.secret)
    try:
        found.application, _ = await create_application(browsing, stack, physicians, needs_enrolment=True, **texts)
    finally:
        await browsing.close()
    await physicians.call(applications.ENROL, applications.ApplicationRef(id=found.application), token=doctor_token)
    decision = applications.Decision(application_id=found.application, account_id=doctor.account_id, grant=True)
    await physicians.call(applications.DECIDE_ENROLMENT, decision, token=admin.token)


async def _from_the_registration_form(found: Planted, stack: Stack, physicians: Physicians, admin_token: str) -> None:
    """The public form over HTTP, then the identity check and the login, so that the applicant's
    hostile names become an account's (the accounts page, the directory)."""
    mobile = random_mobile()
    fields = found.applicant | {
        "postcode": "1204",
        "country": "CH",
        "email": f"xss-{uuid.uuid4().hex[:8]}@cabinet.example.ch",
        "mobile": mobile,
        "number": random_gln(),
        "signed": "1",
    }
    anonymous = WebClient(stack)
    try:
        sent = await anonymous.post_form("/register", fields)
        assert sent.status == 303, sent.status
    finally:
        await anonymous.close()
    reference = URL(sent.headers["Location"]).query["reference"]
    validator = (await physicians.login(await physicians.create(role="validator"))).token
    queue = await physicians.call(registration.LIST_REQUESTS, registration.QueueQuery(), token=validator)
    found.request = next(item.id for item in queue.items if item.reference == reference)
    ref = registration.RequestRef(id=found.request)
    since = time.time_ns()
    await physicians.call(registration.SEND_CONTROL_SMS, ref, token=validator)
    code = (await sms_to(stack.outbox_dir, mobile, since))["body"].split("code ")[1][:6]
    await physicians.call(
        registration.CONFIRM_CONTROL, registration.ControlCode(id=found.request, code=code), token=validator
    )
    await keep_copy(physicians, validator, found.request, b"%PDF-1.4\n a copy")
    signature = registration.Validation(
        id=found.request,
        check_method="in_person",
        id_document_number="C1234567",
        validator_name=found.validator_name,
        place=found.validated_place,
    )
    await physicians.call(registration.SIGN_VALIDATION, signature, token=validator)
    creation = registration.LoginCreation(id=found.request, login=f"xss-{uuid.uuid4().hex[:8]}")
    await physicians.call(registration.CREATE_LOGIN, creation, token=admin_token)


async def _a_request_and_its_answers(
    found: Planted,
    hospital: Hospital,
    physicians: Physicians,
    requests_db: asyncpg.Pool,
    admin_token: str,
    doctor_token: str,
) -> None:
    """A service the hospital names (with a tumor board), worked by a member with hostile names; the
    doctor's consultation with a file, sent, and a draft like it; answered by the hospital with a
    file, and by the member."""
    found.service_code = code = f"XSS-{uuid.uuid4().hex[:6]}"
    boards = [{"code": "TB-XSS", "name": found.board_name}]
    every_kind = ["consultation", "tumor_board", "message"]
    service = _service(code, found.service_name, datetime.now(UTC), accepts=every_kind, boards=boards)
    await hospital.publish(contract.SERVICES, service)
    await eventually(
        lambda: requests_db.fetchval("SELECT code FROM services WHERE code = $1", code), what="the service"
    )
    member = await _hostile_names(physicians, "m", role="service_staff")
    members = api.ServiceMembers(code=code, account_ids=[member.account_id])
    await physicians.call(api.SET_MEMBERS, members, token=admin_token)

    patient = contract.TypedPatient(
        id=None, family_name=found.typed_family, given_name=found.typed_given, birth_date=date(1958, 4, 5), sex="other"
    )
    draft = api.Draft(
        kind="consultation",
        service=code,
        domain="adults",
        subject=found.subject,
        fields=found.answers,
        patient=patient,
        attachments=[await send_file(physicians, doctor_token, PNG, found.file_name)],
    )
    found.consultation = (await physicians.call(api.SAVE_DRAFT, draft, token=doctor_token)).id
    await physicians.call(api.SUBMIT_REQUEST, api.RequestRef(id=found.consultation), token=doctor_token)
    unsent = draft.model_copy(update={"attachments": []})
    found.draft = (await physicians.call(api.SAVE_DRAFT, unsent, token=doctor_token)).id

    answer = _answer(found.consultation, found.hospital_text)
    answer["message"]["author"] = found.hospital_author
    answer["attachments"] = [_inline(PNG, found.hospital_file, "image/png")]
    await hospital.publish(contract.ANSWER, answer)

    async def answered() -> bool | None:
        ref = api.RequestRef(id=found.consultation)
        return bool((await physicians.call(api.GET_REQUEST, ref, token=doctor_token)).messages) or None

    await eventually(answered, what="the hospital's answer in the thread")
    working = await physicians.login(member)
    found.member_session = working.secret
    staff_answer = api.StaffAnswer(id=found.consultation, text=found.staff_text)
    await physicians.call(api.STAFF_ANSWER, staff_answer, token=working.token)


@dataclass
class Watched:
    """A page of one role's browser, with what it must never do recorded."""

    page: Page
    base: str
    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    async def shows(
        self, path: str, *texts: str, title: str | None = None, inputs: dict[str, str] | None = None
    ) -> None:
        """Open `path`: nothing ran, nothing was injected, each of `texts` is in the page as text."""
        response = await self.page.goto(self.base + path)
        assert response is not None and response.status < 500, (path, response and response.status)
        await self.shows_here(*texts, title=title, inputs=inputs)

    async def shows_here(self, *texts: str, title: str | None = None, inputs: dict[str, str] | None = None) -> None:
        """The page as it is now: nothing ran, nothing was injected; `texts` as text, `inputs` as values."""
        where = self.page.url
        violations = await self.page.evaluate("window.__violations")
        injected = await self.page.locator(INJECTED).count()
        assert (self.dialogs, self.console, violations, injected) == ([], [], [], 0), where
        shown = await self.page.locator("body").text_content() or ""
        missing = [text for text in texts if text not in shown]
        assert not missing, f"{where} does not show {missing} as text"
        if title is not None:
            assert title in await self.page.title(), where
        for name, value in (inputs or {}).items():
            assert await self.page.locator(f'[name="{name}"]').first.input_value() == value, (where, name)


class _role_browser:
    """One role's browser context (`session`: its cookie; None: anonymous), its page watched."""

    def __init__(self, browser: Browser, stack: Stack, session: str | None) -> None:
        self.browser, self.stack, self.session = browser, stack, session

    async def __aenter__(self) -> Watched:
        self.context = await self.browser.new_context(locale="fr-CH")
        base = self.stack.config.public_url
        if self.session is not None:
            await self.context.add_cookies([{"name": "portal_session", "value": self.session, "url": base}])
        await self.context.add_init_script(RECORD_VIOLATIONS)
        page = await self.context.new_page()
        seen = Watched(page, base)
        page.on("dialog", lambda dialog: _dismissed(seen, dialog))
        page.on("console", lambda message: _csp_report(seen, message))
        return seen

    async def __aexit__(self, *_: object) -> None:
        await self.context.close()


def _dismissed(seen: Watched, dialog: Dialog) -> Any:
    seen.dialogs.append(dialog.message)
    return dialog.dismiss()


def _csp_report(seen: Watched, message: ConsoleMessage) -> None:
    if "Content Security Policy" in message.text:
        seen.console.append(message.text)


async def test_the_public_form_gives_hostile_text_back_as_text(browser: Browser, stack: Stack) -> None:
    """Refused (the box is not ticked), the form shows again what was typed: in its fields, inert."""
    async with _role_browser(browser, stack, None) as anonymous:
        await anonymous.shows("/register")
        applicant = Planted().applicant
        for name, value in applicant.items():
            await anonymous.page.locator(f'[name="{name}"]').fill(value)
        await anonymous.page.locator('[name="number"]').fill(random_gln())
        async with anonymous.page.expect_navigation():
            await anonymous.page.locator('form[action^="/register?"] [type="submit"]').click()
        await anonymous.shows_here(inputs=applicant)


async def test_a_physicians_pages_show_hostile_text_as_text(
    browser: Browser,
    stack: Stack,
    hospital: Hospital,
    portal_events: PortalEvents,
    physicians: Physicians,
    doctor: Physician,
    planted: Planted,
) -> None:
    session = await physicians.login(doctor)
    patient = (planted.patient_family, planted.patient_given)
    async with _role_browser(browser, stack, session.secret) as physician:
        await physician.shows("/documents", *patient, planted.title, planted.service, hostile("df"))
        # A document arriving while the list is open: the page's script puts the new rows in.
        live = hostile("lv")
        episode = hospital.episode(patient=hospital_sim.patient(live, live, "1961-02-03", "male"))
        await deliver(portal_events, episode, doctor.gln, title=live)
        await expect(physician.page.locator("#main")).to_contain_text(live)
        await physician.shows_here(live)
        await physician.shows(
            f"/documents/{planted.document}",
            *patient,
            planted.title,
            planted.service,
            planted.author,
            title=planted.title,
        )
        await physician.shows("/patients", *patient)
        await physician.shows(f"/patients/{planted.patient}", *patient, planted.title, title=planted.patient_family)
        await physician.shows("/applications", planted.application_name, planted.application_description)
        # Opening it: the page that posts the assertion to the application at once (answered here by a
        # 204, which leaves the browser on the portal's page).
        page, application = physician.page, stack.partner_app_url
        await page.route(f"{application}/**", lambda route: route.fulfill(status=204))
        async with page.expect_request(lambda request: request.url.startswith(application)):
            await page.locator(f'form[action="/applications/{planted.application}/open"] button').click()
        await physician.shows_here(planted.application_name, title=planted.application_name)
        filters = f"patient={quote(HOSTILE[:100])}&service={quote(planted.service)}"
        await physician.shows(f"/documents?{filters}", inputs={"patient": HOSTILE[:100]})
        await physician.shows(f"/patients?name={quote(HOSTILE[:100])}", inputs={"name": HOSTILE[:100]})
        await physician.shows("/nowhere/" + quote(HOSTILE))  # the error page's links hold the path
        await physician.shows(f"/lang/en?next={quote(HOSTILE_URL)}")
        for shown in request_pages(planted):
            await physician.shows(shown.path, *shown.texts, title=shown.title, inputs=shown.inputs)
        # "Mon activité": the document opened, by its title
        await physicians.content(session.token, planted.document, "view")
        await _audited_view(stack, doctor)
        await physician.shows("/activity?kind=documents", planted.title)


async def _audited_view(stack: Stack, doctor: Physician) -> None:
    """The physician's view of a document is in the audit log (it arrives there asynchronously)."""
    conn = await asyncpg.connect(stack.service_dsns["audit"], server_settings={"search_path": "audit"})
    try:

        async def recorded() -> bool | None:
            found = await conn.fetchval(
                "SELECT 1 FROM records WHERE actor_id = $1 AND action = 'document.viewed'", doctor.account_id
            )
            return found or None

        await eventually(recorded, what="the view in the audit log")
    finally:
        await conn.close()


@dataclass(frozen=True)
class Shown:
    """A page, and the hostile text it must show as text (`inputs`: in its form's fields)."""

    path: str
    texts: tuple[str, ...] = ()
    inputs: dict[str, str] = field(default_factory=dict)
    title: str | None = None


def request_pages(planted: Planted) -> list[Shown]:
    """A physician's requests pages (issue 13), with what was planted for them."""
    typed, service = (planted.typed_family, planted.typed_given), planted.service_name
    mine = (planted.patient_family, planted.patient_given)  # Mes patients, to choose from
    filters = {"patient": HOSTILE[:100], "service": HOSTILE[:64]}
    return [
        Shown("/requests", (planted.subject, *typed, service)),
        Shown(f"/requests?{'&'.join(f'{name}={quote(value)}' for name, value in filters.items())}", inputs=filters),
        Shown(
            f"/requests/{planted.consultation}",
            (planted.subject, *planted.answers.values(), *typed, service, planted.file_name, *planted.thread),
            title=planted.subject,
        ),
        Shown(
            f"/requests/{planted.draft}",
            (service, *mine),
            {"subject": planted.subject, **planted.answers, "family_name": typed[0], "given_name": typed[1]},
        ),
        Shown("/requests/new/consultation", (service, *mine)),
        Shown(f"/requests/new/consultation?patient={quote(HOSTILE[:64])}", inputs={"my_patient": HOSTILE[:64]}),
        Shown("/requests/new/tumor_board", (planted.board_name, service)),
        Shown("/requests/new/message", (service,)),
    ]


def staff_pages(role: str, planted: Planted) -> list[Shown]:
    """The pages each staff role opens, with what was planted for them."""
    applicant = planted.applicant
    names, search = (applicant["family_name"], applicant["given_name"]), quote(applicant["family_name"])
    searched = {"text": applicant["family_name"]}
    code, service, member = planted.service_code, planted.service_name, (hostile("mf"), hostile("mg"))
    sent, doctor = (planted.subject, planted.typed_family, planted.typed_given), (hostile("df"), hostile("dg"))
    return {
        "validator": [
            Shown("/validation?state=login_created", names),
            Shown(
                f"/validation/{planted.request}", (*applicant.values(), planted.validator_name, planted.validated_place)
            ),
        ],
        "admin": [
            Shown(f"/admin/accounts?text={search}", names, searched),
            Shown(
                f"/admin/undelivered?service={quote(planted.service)}",
                (planted.undelivered_id, planted.undelivered_title),
            ),
            Shown("/admin/applications", (planted.application_name, hostile("df"), hostile("dg"))),
            Shown(
                f"/admin/applications/{planted.application}",
                inputs={"name": planted.application_name, "description": planted.application_description},
            ),
            Shown("/admin/services", (service, planted.board_name)),
            # the audit log: the hospital's document id the record names, as text and in the filter
            Shown(
                f"/admin/audit?entity={quote(planted.undelivered_id)}",
                (planted.undelivered_id,),
                {"entity": planted.undelivered_id},
            ),
            Shown(f"/admin/services/{code}", member, {"name": service, "boards": f"TB-XSS | {planted.board_name}"}),
        ],
        "service_staff": [
            Shown(f"/directory?text={search}", names, searched),
            Shown(f"/inbox?service={code}&box=mine", (service, *sent, *doctor)),
            Shown(
                f"/inbox/requests/{planted.consultation}",
                (*sent, *planted.answers.values(), service, planted.file_name, *planted.thread),
                title=planted.subject,
            ),
        ],
    }[role]


@pytest.mark.parametrize("role", ["validator", "admin", "service_staff"])
async def test_the_staffs_pages_show_hostile_text_as_text(
    role: str, browser: Browser, stack: Stack, physicians: Physicians, planted: Planted
) -> None:
    if role == "service_staff":  # the service's member, logged in when they answered
        secret = planted.member_session
    else:
        secret = (await physicians.login(await physicians.create(role=role))).secret
    async with _role_browser(browser, stack, secret) as staff:
        for page in staff_pages(role, planted):
            await staff.shows(page.path, *page.texts, title=page.title, inputs=page.inputs)
