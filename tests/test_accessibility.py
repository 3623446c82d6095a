"""Accessibility by test (issue 15): axe-core on every page type, as each role that can see it, at
1366×768 and on a 390×844 phone (WCAG 2.0/2.1 A and AA, 2.2 AA: 0 violations); the keyboard
through the login and Mes documents; and the focus indicator's contrast on every background.

The pages come from the gateway's own router and gateway/access.py, as the hostile web suite's do:
a new page type is visited with no line written here, or fails the completeness check below (a
route that answers no HTML page is listed in NOT_PAGES, with why). A page with an id is visited
with a real object, the first one its list page links to."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, get_args

import pytest
from aiohttp.web_urldispatcher import DynamicResource
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page, expect

from common.contracts import registration
from common.contracts.base import Role
from deploy import hospital_sim
from deploy.stack import Stack
from gateway.access import AUDIENCES, Audience, route_key

from .hostile_web.router import SAMPLE_VALUES, page_routes
from .portal import Hospital, Physician, Physicians, PortalEvents, deliver
from .test_applications import create_application
from .test_registration import form
from .test_request_drafts import _sent
from .test_staff_inboxes import _service_with
from .web import WebClient

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SIZES = {"desktop": (1366, 768), "phone": (390, 844)}
ANONYMOUS = "anonymous"
ROLES: tuple[str, ...] = (ANONYMOUS, *get_args(Role))

NOT_PAGES = {
    "GET /": "a redirect to each role's landing page, visited as itself",
    "GET /login/hin/callback": "the identity provider's return: a redirect",
    "GET /documents/{id}/view": "the PDF itself",
    "GET /documents/{id}/download": "the PDF itself",
    "GET /events": "the live events' stream",
    "GET /requests/{id}/files/{file}": "an attached file",
    "GET /validation/{id}/id-copy": "the identity document's copy",
    "GET /lang/{locale}": "a redirect back with the language chosen",
    "GET /healthz": "plain text",
    "GET /static": "stylesheets and scripts",
    "GET /.well-known/jwks.json": "JSON",
    "GET /.well-known/audit-checkpoint-key.pem": "a PEM key",
}
"""GET routes that answer no HTML page of their own."""

LIST_PAGES = {
    "GET /documents/{id}": "/documents",
    "GET /documents/{id}/tab": "GET /documents/{id}",  # the document's page links to its tab
    "GET /patients/{id}": "/patients",
    "GET /requests/{id}": "/requests",
    "GET /inbox/requests/{id}": "/inbox",
    "GET /admin/applications/{id}": "/admin/applications",
    "GET /admin/services/{id}": "/admin/services",
    "GET /validation/{id}": "/validation",
}
"""Where a page with an id finds its object: the first link of this page that the route answers
(a page named by its key: that page's own object first)."""


@dataclass(frozen=True)
class Visit:
    key: str  # "GET /documents/{id}"
    role: str
    path: str


def _roles(audience: Audience) -> list[str]:
    if audience.public:
        return list(ROLES) if audience.session_if_any else [ANONYMOUS]
    assert audience.roles is not None
    return [role for role in ROLES if role in audience.roles]


def page_types() -> list[tuple[str, DynamicResource | None, str]]:
    """Each page type of the router: (its key, its resource when it has variable parts, its path)."""
    found = []
    for route in page_routes():
        if route.method != "GET":
            continue
        key = route_key(route)
        assert key in AUDIENCES, f"{key} has no entry in gateway/access.py AUDIENCES"
        if key in NOT_PAGES:
            continue
        resource = route.resource
        if isinstance(resource, DynamicResource):
            names = set(resource.get_info()["pattern"].groupindex)
            if names - {"kind"}:
                assert key in LIST_PAGES, f"{key}: add the list page that links to one in LIST_PAGES"
                found.append((key, resource, LIST_PAGES[key]))
            else:
                found.append((key, None, str(resource.url_for(**{n: SAMPLE_VALUES[n] for n in names}))))
        else:
            assert resource is not None
            found.append((key, None, resource.canonical))
    return found


def test_every_page_type_is_visited_or_said_to_be_no_page() -> None:
    keys = {route_key(route) for route in page_routes() if route.method == "GET"}
    assert set(NOT_PAGES) <= keys, set(NOT_PAGES) - keys
    assert set(LIST_PAGES) <= keys, set(LIST_PAGES) - keys
    visited = {key for key, _, _ in page_types()}
    assert visited | set(NOT_PAGES) == keys


class Portal:
    """One browser, one context per role and size, logged in once."""

    def __init__(self, stack: Stack, browser: Browser) -> None:
        self.stack, self.browser = stack, browser
        self.base = stack.config.public_url
        self.secrets: dict[str, str] = {}
        self.contexts: dict[tuple[str, str], BrowserContext] = {}
        self.pages: dict[tuple[str, str], Page] = {}
        self.visitor: Physician | None = None  # logs in through the pages, to its SMS code's page

    async def page(self, role: str, size: str) -> Page:
        if (role, size) not in self.pages:
            width, height = SIZES[size]
            context = await self.browser.new_context(locale="fr-CH", viewport={"width": width, "height": height})
            if role in self.secrets:
                cookie = {"name": "portal_session", "value": self.secrets[role], "url": self.base}
                await context.add_cookies([cookie])  # type: ignore[list-item]
            self.contexts[role, size] = context
            self.pages[role, size] = await context.new_page()
        return self.pages[role, size]

    async def close(self) -> None:
        for context in self.contexts.values():
            await context.close()


@pytest.fixture(scope="module")
async def portal(
    stack: Stack,
    browser: Browser,
    physicians: Physicians,
    hospital: Hospital,
    portal_events: PortalEvents,
    requests_db: Any,
) -> AsyncIterator[Portal]:
    """A physician with a document and a request sent to a service whose member is service staff,
    a validator, an administrator with an application, a registration request waiting."""
    doctor = await physicians.create()
    episode = hospital.episode(patient=hospital_sim.patient("Rochat", "Éliane", "1951-03-14", "female"))
    await deliver(portal_events, episode, doctor.gln, title="Lettre de sortie", service="Cardiologie")
    nurse = await physicians.create(role="service_staff")
    code = await _service_with(physicians, hospital, requests_db, nurse)
    accounts = {"physician": doctor, "service_staff": nurse}
    accounts["validator"] = await physicians.create(role="validator")
    accounts["admin"] = await physicians.create(role="admin")
    await physicians.call(registration.SUBMIT_REGISTRATION, registration.RegistrationSubmission(form=form()))
    found = Portal(stack, browser)
    found.visitor = await physicians.create()
    for role, account in accounts.items():
        session = await physicians.login(account)
        found.secrets[role] = session.secret
        if role == "physician":
            await _sent(physicians, code, session.token)
    await _application(found, physicians, stack)
    yield found
    await found.close()


async def _application(portal: Portal, physicians: Physicians, stack: Stack) -> None:
    admin = WebClient(stack).hold(portal.secrets["admin"])
    try:
        await create_application(admin, stack, physicians)
    finally:
        await admin.close()


def _report(results: dict[str, Any], where: str) -> list[str]:
    return [
        f"{where}: {violation['id']} ({violation['impact']}) on {', '.join(' '.join(node['target']) for node in violation['nodes'])}"
        f" — {violation['help']}"
        for violation in results["violations"]
    ]


AXE = Axe()


async def axe_violations(page: Page) -> dict[str, Any]:
    results = await AXE.run(page, options={"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]})
    return results.response


async def _open_disclosures(page: Page) -> None:
    """The "Filtres" and menu disclosures, open: what they hide is checked too."""
    await page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")


async def _object_path(page: Page, base: str, resource: DynamicResource, list_path: str) -> str:
    if list_path in LIST_PAGES:  # a route's key: that route's object's page links to ours
        linking = next(found for key, found, _ in page_types() if key == list_path)
        assert linking is not None
        list_path = await _object_path(page, base, linking, LIST_PAGES[list_path])
    await page.goto(base + list_path)
    pattern = resource.get_info()["pattern"]
    hrefs = await page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    for href in hrefs:
        path = href.split("?")[0].split("#")[0]
        if pattern.fullmatch(path):
            return str(path)
    raise AssertionError(f"{list_path} links to no {resource.canonical}: the fixture must create one")


async def _visit_all(portal: Portal, role: str, size: str) -> list[str]:
    """Every page type `role` may see, at `size`, in the page of its own: axe's findings, as lines."""
    problems = []
    page = await portal.page(role, size)
    for key, resource, path in page_types():
        if role not in _roles(AUDIENCES[key]):
            continue
        target = await _object_path(page, portal.base, resource, path) if resource else path
        response = await page.goto(portal.base + target)
        # a flow's page without its flow (a recovery link's, a code's) says why: that page is checked
        assert response is not None and response.status in (200, 410), (key, role, response and response.status)
        await _open_disclosures(page)
        results = await axe_violations(page)
        problems += _report(results, f"{key} as {role} at {size} ({page.url.removeprefix(portal.base)})")
    return problems


async def test_every_page_as_each_role_at_both_sizes_has_no_axe_violation(portal: Portal) -> None:
    # each role and size in a page of its own, side by side: the whole run stays short
    found = await asyncio.gather(
        *(_visit_all(portal, role, size) for role in ROLES for size in SIZES),
        *(_error_states(portal, size) for size in SIZES),
    )
    problems = [line for lines in found for line in lines]
    assert not problems, "axe violations:\n" + "\n".join(problems)


async def _error_states(portal: Portal, size: str) -> list[str]:
    """The login and registration forms sent empty, their errors shown; the SMS code's page, and
    it sent empty."""
    problems = []
    page = await portal.page("forms", size)
    for path, form_selector in (("/login", "form[action='/login']"), ("/register", "form[action^='/register']")):
        await page.goto(portal.base + path)
        problems += await _sent_empty(page, form_selector, f"POST {path} sent empty at {size}")
    assert portal.visitor is not None
    await page.goto(portal.base + "/login")
    await page.locator("#login").fill(portal.visitor.login)
    await page.locator("#password").fill(portal.visitor.password)
    await page.locator("form[action='/login'] button[type=submit]").click()
    await expect(page).to_have_url(portal.base + "/login/code")
    problems += _report(await axe_violations(page), f"GET /login/code after a login at {size}")
    problems += await _sent_empty(page, "form[action='/login/code']", f"POST /login/code sent empty at {size}")
    return problems


async def _sent_empty(page: Page, form_selector: str, where: str) -> list[str]:
    form_ = page.locator(form_selector)
    await form_.evaluate("f => f.setAttribute('novalidate', '')")
    await form_.locator("button[type=submit]").first.click()
    await page.wait_for_load_state()
    await expect(page.locator("[role=alert], .field-invalid, [aria-invalid=true]").first).to_be_attached()
    return _report(await axe_violations(page), where)


FOCUS_SAMPLES = {
    (ANONYMOUS, "/login"): (
        ".skip-link",
        "header .site-name",
        "header .help-link a",
        "header .language-switch a",
        "main input#login",
        "main input#password",
        "main form[action='/login'] .button-primary",
        "main form[action='/login/hin'] button",
        "main a[href='/login/forgot']",
        "footer a",
    ),
    ("physician", "/documents"): (
        "header .site-nav a",
        "header .site-tools .account-link a",
        "header .site-tools form.logout button",
        "main a[href^='/documents/']",
        "main input",
        "main button",
        "main select",
        "footer a",
    ),
    ("physician", "/requests/new/consultation"): (
        "main .button-primary",
        "main .button-secondary",
        "main textarea",
        "main input[type=file]",
    ),
}
"""Each kind of focusable element, on the page's light background and the header's coloured one."""

RING_COLOURS = """el => {
  const style = getComputedStyle(el);
  const rings = [];
  if (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) rings.push(style.outlineColor);
  for (const match of style.boxShadow.matchAll(/rgba?\\([^)]*\\)/g)) rings.push(match[0]);
  let behind = el.parentElement, background = 'rgb(255, 255, 255)';
  for (; behind; behind = behind.parentElement) {
    const colour = getComputedStyle(behind).backgroundColor;
    if (colour !== 'rgba(0, 0, 0, 0)' && colour !== 'transparent') { background = colour; break; }
  }
  return {visible: el.matches(':focus-visible'), rings, background};
}"""


def _luminance(colour: str) -> float:
    red, green, blue = (int(float(part)) for part in re.findall(r"[\d.]+", colour)[:3])

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def contrast(one: str, other: str) -> float:
    """WCAG's contrast ratio of two computed colours ("rgb(…)")."""
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_is_wcag_s() -> None:
    assert round(contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)"), 1) == 21.0
    assert round(contrast("rgb(118, 118, 118)", "rgb(255, 255, 255)"), 2) == 4.54


async def test_the_focus_indicator_has_3_to_1_contrast_on_every_background(portal: Portal) -> None:
    weak = []
    for (role, path), selectors in FOCUS_SAMPLES.items():
        page = await portal.page(role, "desktop")
        await page.goto(portal.base + path)
        await _open_disclosures(page)  # the filters behind "Filtres"
        for selector in selectors:
            element = page.locator(selector).first
            await expect(element).to_be_attached()
            await element.focus()
            seen = await element.evaluate(RING_COLOURS)
            best = max((contrast(ring, seen["background"]) for ring in seen["rings"]), default=1.0)
            if not seen["visible"] or best < 3:
                weak.append(f"{path} as {role}: {selector} rings {seen['rings']} on {seen['background']}: {best:.2f}:1")
    assert not weak, "focus indicators under 3:1:\n" + "\n".join(weak)


async def _tab_to(page: Page, matches: str, presses: int) -> int:
    """How many Tab presses bring the focus to an element matching `matches` (at most `presses`)."""
    for count in range(1, presses + 1):
        await page.keyboard.press("Tab")
        if await page.evaluate("s => document.activeElement.matches(s)", matches):
            return count
    raise AssertionError(f"{matches} not reached in {presses} Tab presses")


async def test_the_login_is_tabbed_through_in_order_with_a_visible_focus(portal: Portal) -> None:
    page = await portal.page(ANONYMOUS, "desktop")
    await page.goto(portal.base + "/login")
    order = []
    for selector in ("#login", "#password", "form[action='/login'] button[type=submit]"):
        order.append(await _tab_to(page, selector, 30))
        assert await page.evaluate("document.activeElement.matches(':focus-visible')"), selector
        outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none", selector
    assert order[1] == 1 and order[2] == 1, f"user field, password, submit: {order} presses apart"


async def test_the_first_document_is_at_most_8_tabs_after_the_skip_link(portal: Portal) -> None:
    page = await portal.page("physician", "desktop")
    await page.goto(portal.base + "/documents")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.matches('.skip-link')")
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.id") == "main"
    await _tab_to(page, "main a[href^='/documents/']", 8)  # the list comes first, the filters behind a disclosure
