"""In Chromium: staff give a customer credit on the profile's Credit tab, the box beside the tabs shows the
balance, and a drop-in sold at the desk is paid from it."""

import pytest
from playwright.sync_api import expect

from accounts.tenancy import tenant
from billing import services
from billing.models import Package
from tests.factories import customer
from tests.test_browser_journey import log_in, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_credit_issued_then_spent_at_the_desk(browser_page, live_server, org_a, org_b, alice, screenshot):
    with tenant(org_a):
        services.package_save(package=Package(name="Drop-in", price=1800, currency="USD"), by=alice)
        pat = customer(first_name="Pat", last_name="Parent", email="pat@alpha.example", by=alice)
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/{pat.pk}/")
    expect(page.locator(".credit-box")).to_contain_text("$0.00")
    page.get_by_role("tab", name="Credit").click()
    expect(page.get_by_text("No credit yet.")).to_be_visible()

    page.get_by_text("Issue credit", exact=True).first.click()
    page.get_by_role("button", name="Issue credit").click()
    expect(page.locator(".credit-issue-form")).to_contain_text("This field is required.")
    page.get_by_label("Amount").fill("25.00")
    page.get_by_label("Kind").select_option(label="Goodwill")
    page.get_by_label("Reason").fill("Party room was double-booked")
    page.get_by_role("button", name="Issue credit").click()
    expect(page.get_by_text("+$25.00 of credit issued to Pat Parent.")).to_be_visible()
    expect(page.locator(".credit-box")).to_contain_text("$25.00")

    page.get_by_role("tab", name="Payments").click()
    page.get_by_text("Sell a package", exact=True).click()
    page.get_by_label("Package").select_option(label="Drop-in · $18.00")
    page.get_by_label("Credit balance ($25.00 available)").check()
    page.get_by_role("button", name="Record sale").click()
    expect(page.get_by_text("“Drop-in” sold to Pat Parent.")).to_be_visible()
    expect(page.locator(".payments-table tbody tr").first).to_contain_text("Credit balance")
    expect(page.locator(".credit-box")).to_contain_text("$7.00")

    page.get_by_role("tab", name="Credit").click()
    rows = page.locator(".credit-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("−$18.00")
    expect(rows.first).to_contain_text("Spent")
    expect(rows.nth(1)).to_contain_text("+$25.00")
    expect(page.locator(".credit-summary")).to_contain_text("$7.00")
    screenshot(page, "96-credit-tab")
    assert [error for error in errors if "status of 422" not in error] == []  # the empty form, refused
