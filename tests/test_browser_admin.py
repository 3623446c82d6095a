"""The administration on a phone (issue 15): at 390 and 320 px no page scrolls sideways, the
header's navigation is a compact "Menu" that opens without script and shows every link, roles are
named in French, no raw "gln:" code is shown, and an action that ends access asks first."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from deploy.stack import Stack

from .portal import Physicians
from .test_browser_phones import _fits, _phone

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
    await page.locator("summary.site-menu__button").click()
    current = navigation.get_by_role("link", name="Mes documents")
    await expect(current).to_be_visible()
    assert await current.get_attribute("aria-current") == "page"
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
