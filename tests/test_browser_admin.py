"""The administration on a phone (issue 15): at 390 and 320 px no page scrolls sideways, the
header's navigation is a compact "Menu" that opens without script and shows every link, roles are
named in French, no raw "gln:" code is shown, and an action that ends access asks first. Status
filters are tabs (aria-current on the one shown), an empty list says so and offers to clear its
filters, and refusing a registration request says the applicant is told by email."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from deploy.stack import Stack

from .portal import Physicians
from .test_browser_phones import _fits, _phone
from .test_registration_refusal import _waiting

ADMIN_PAGES = (
    "/admin/accounts",
    "/admin/applications",
    "/admin/undelivered",
    "/admin/services",
    "/admin/audit",
    "/admin/notifications",
    "/admin/support",
    "/validation",
    "/directory",
)
ADMIN_LINKS = (
    "Comptes",
    "Demandes d’inscription",
    "Applications",
    "Annuaire des médecins",
    "Services",
    "Documents non distribués",
    "Notifications",
    "Messages au support",
    "Journal d’audit",
)


async def _menu_opens(page: Page, width: int) -> None:
    """The links hide behind the Menu button, which opens them all within the screen."""
    menu = page.locator("summary.site-menu__button")
    await expect(menu).to_be_visible()
    await expect(page.get_by_role("navigation", name="Navigation principale").get_by_role("link").first).to_be_hidden()
    header = await page.locator("header .site-header__inner").bounding_box()
    assert header is not None
    await menu.click()
    navigation = page.get_by_role("navigation", name="Navigation principale")
    for name in ADMIN_LINKS:
        link = navigation.get_by_role("link", name=name, exact=True)
        await expect(link).to_be_visible()
        box = await link.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, name
    await menu.click()
    await expect(navigation.get_by_role("link", name="Comptes", exact=True)).to_be_hidden()


async def test_the_administrations_pages_fit_a_phone_and_its_menu_opens(
    stack: Stack, browser: Browser, physicians: Physicians
) -> None:
    admin = await physicians.create(role="admin")
    doctor = await physicians.create()
    base = stack.config.public_url
    for width, height in ((390, 844), (320, 700)):
        page = await _phone(browser, stack, physicians, admin, width, height)
        for path in ADMIN_PAGES:
            await _fits(page, f"{base}{path}", width, f"admin-{width}{path.replace('/', '-')}")
            assert "gln:" not in await page.locator("body").inner_text(), path
        await _menu_opens(page, width)
        await page.goto(f"{base}/admin/accounts?text={doctor.login}")
        card = page.locator("table.accounts tbody tr").first
        await expect(card).to_contain_text("médecin")
        await expect(card).to_contain_text(f"GLN {doctor.gln}")
        await page.context.close()


async def test_the_physicians_menu_is_compact_on_a_phone(
    stack: Stack, browser: Browser, physicians: Physicians
) -> None:
    page = await _phone(browser, stack, physicians, await physicians.create(), 390, 844)
    await _fits(page, f"{stack.config.public_url}/documents", 390, "menu-physician")
    navigation = page.get_by_role("navigation", name="Navigation principale")
    await expect(navigation.get_by_role("link", name="Mes documents")).to_be_hidden()
    # the header is two short lines: the brand and the menu's button, then help and languages
    header = await page.locator("header.site-header").bounding_box()
    assert header is not None and header["height"] <= 130, header
    await expect(page.get_by_role("button", name="Se déconnecter")).to_be_hidden()
    await page.locator("summary.site-menu__button").click()
    current = navigation.get_by_role("link", name="Mes documents")
    await expect(current).to_be_visible()
    assert await current.get_attribute("aria-current") == "page"
    # the account's links and the logout are in the open menu, within the screen
    menu = page.locator(".site-menu__account")
    await expect(menu.get_by_role("link", name="Sécurité")).to_be_visible()
    logout = menu.get_by_role("button", name="Se déconnecter")
    await expect(logout).to_be_visible()
    box = await logout.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390, box
    await page.context.close()


async def test_deactivating_an_account_asks_first_in_the_browser(
    stack: Stack, browser: Browser, physicians: Physicians
) -> None:
    admin, doctor = await physicians.create(role="admin"), await physicians.create()
    page = await _phone(browser, stack, physicians, admin, 390, 844)
    listing = f"{stack.config.public_url}/admin/accounts?text={doctor.login}"
    await page.goto(listing)
    await page.get_by_role("button", name="Désactiver").click()
    await expect(page.get_by_role("heading", name="Désactiver ce compte ?")).to_be_visible()
    await page.get_by_role("link", name="Annuler").click()  # back to the list, nothing changed
    await expect(page.locator("table.accounts tbody tr").first).to_contain_text("actif")
    await page.get_by_role("button", name="Désactiver").click()
    await page.get_by_role("button", name="Oui, confirmer").click()
    await expect(page.locator("table.accounts tbody tr").first).to_contain_text("désactivé")
    await page.context.close()


async def test_status_filters_are_tabs_that_fit_a_phone(stack: Stack, browser: Browser, physicians: Physicians) -> None:
    page = await _phone(browser, stack, physicians, await physicians.create(role="admin"), 390, 844)
    base = stack.config.public_url
    for path, tabs, current in (
        ("/validation", "Demandes par état", "En attente de la vérification d’identité"),
        ("/validation?state=refused", "Demandes par état", "Refusées"),
        ("/admin/accounts?status=deactivated", "Comptes par statut", "Désactivé"),
        ("/admin/services?status=hidden", "Services par statut", "Masqués pour les nouvelles demandes"),
    ):
        await _fits(page, f"{base}{path}", 390, f"admin-tabs{path.replace('/', '-').replace('?', '-')}")
        bar = page.get_by_role("navigation", name=tabs)
        shown = bar.locator('a[aria-current="page"]')
        await expect(shown).to_have_count(1)
        await expect(shown).to_have_text(current)
        for box in [await link.bounding_box() for link in await bar.get_by_role("link").all()]:
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, path
    await page.context.close()


async def test_an_empty_list_says_so_and_clears_its_filters(
    stack: Stack, browser: Browser, physicians: Physicians
) -> None:
    page = await _phone(browser, stack, physicians, await physicians.create(role="admin"), 390, 844)
    await page.goto(f"{stack.config.public_url}/admin/accounts?text=nobody-by-this-name-zz")
    await expect(page.get_by_text("Aucun compte ne correspond à ces filtres.")).to_be_visible()
    await page.get_by_role("link", name="Effacer les filtres").click()
    await expect(page.locator("table.accounts tbody tr").first).to_be_visible()
    assert await page.locator("#filter-text").input_value() == ""
    await page.context.close()


async def test_refusing_a_registration_request_says_the_applicant_is_told(
    stack: Stack, browser: Browser, physicians: Physicians
) -> None:
    request_id = (await _waiting(physicians))[2]
    page = await _phone(browser, stack, physicians, await physicians.create(role="validator"), 390, 844)
    await _fits(page, f"{stack.config.public_url}/validation/{request_id}", 390, "admin-refusal")
    await expect(page.get_by_text("Le demandeur sera informé par e-mail.")).to_be_visible()
    refuse = page.get_by_role("button", name="Refuser la demande et en informer le demandeur")
    assert "button-danger" in (await refuse.get_attribute("class") or "")
    await page.locator('input[name="reason"]').first.check()
    await refuse.click()
    await expect(page.get_by_text("Raison communiquée au demandeur")).to_be_visible()
    await expect(page.get_by_text("Le demandeur sera informé par e-mail.")).to_be_hidden()
    await page.context.close()
