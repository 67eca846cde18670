"""In Chromium: an admin adds a class pass in Settings → Packages, fixing a wrong price on the way; the form
shows the fields of the kind and audience chosen."""

import pytest
from playwright.sync_api import expect

from accounts.tenancy import tenant
from billing.models import Package
from tests.test_browser_journey import log_in, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_adds_a_class_pass(browser_page, live_server, org_a, org_b, alice, screenshot):
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/settings/")
    page.get_by_role("link", name="Packages").click()
    expect(page.get_by_text("No packages yet")).to_be_visible()
    page.get_by_role("link", name="Add package").first.click()

    expect(page.get_by_label("Visits")).to_be_hidden()
    page.get_by_label("Name").fill("Open jump — 10-visit pass")
    page.get_by_label("Kind").select_option(label="Class pass (punch card)")
    expect(page.get_by_label("Visits")).to_be_visible()
    expect(page.get_by_label("Youngest age")).to_be_hidden()
    page.get_by_label("For", exact=True).select_option(label="Children")
    expect(page.get_by_label("Youngest age")).to_be_visible()
    page.get_by_label("Visits").fill("10")
    page.get_by_label("Price").fill("150.999")
    page.get_by_label("Youngest age").fill("4")
    page.get_by_role("button", name="Save package").click()
    expect(page.locator("#id_price_amount + .invalid-feedback, .invalid-feedback")).to_contain_text(
        "Use at most two decimals"
    )
    screenshot(page, "95-package-form-error")

    page.get_by_label("Price").fill("150.00")
    page.get_by_role("button", name="Save package").click()
    expect(page.get_by_role("alert").or_(page.get_by_role("status")).first).to_contain_text("saved")
    row = page.locator(".packages-table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("10 visits")
    expect(row).to_contain_text("$150.00")
    expect(row).to_contain_text("Children 4+")
    screenshot(page, "96-packages")
    with tenant(org_a):
        assert Package.objects.get().price == 15000
    assert errors == []
