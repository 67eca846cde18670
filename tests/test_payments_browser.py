"""In Chromium: at the front desk, staff sell a child's camp to the parent for cash; an admin refunds half of
it with a reason, and both profiles show the payment and the refund."""

from datetime import date

import pytest
from playwright.sync_api import expect

from accounts.tenancy import tenant
from billing import services
from billing.models import ForWhom, Package
from families.services import link_add
from tests.factories import customer
from tests.test_browser_journey import log_in, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_camp_sold_for_cash_then_half_refunded(browser_page, live_server, org_a, org_b, alice, screenshot):
    with tenant(org_a):
        services.package_save(
            package=Package(
                name="Summer camp week",
                price=32500,
                for_whom=ForWhom.CHILD,
                min_age=5,
                max_age=12,
                currency="USD",
            ),
            by=alice,
        )
        pat = customer(first_name="Pat", last_name="Parent", email="pat@alpha.example", by=alice)
        kim = customer(first_name="Kim", last_name="Parent", birthday=date(2018, 5, 1), by=alice)
        link_add(guardian=pat, dependant=kim, relationship="parent", by=alice)
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/{pat.pk}/")
    page.get_by_role("tab", name="Payments").click()
    expect(page.get_by_text("No payments yet.")).to_be_visible()

    page.get_by_text("Sell a package", exact=True).click()
    page.get_by_label("Package").select_option(label="Summer camp week · $325.00")
    page.get_by_label("For", exact=True).select_option(label="Kim Parent")
    page.get_by_label("Cash").check()
    page.get_by_role("button", name="Record sale").click()
    expect(page.get_by_text("“Summer camp week” sold to Kim Parent.")).to_be_visible()
    row = page.locator(".payments-table tbody tr").first
    expect(row).to_contain_text("$325.00")
    expect(row).to_contain_text("Cash")
    expect(row).to_contain_text("Paid")

    page.get_by_role("link", name="Refund Summer camp week").click()
    page.get_by_label("Amount").fill("162.50")
    page.get_by_label("Reason").fill("Went home sick on Wednesday")
    page.get_by_role("button", name="Refund", exact=True).click()
    expect(page.get_by_text("Refund recorded.")).to_be_visible()
    expect(page.locator(".refund-row")).to_contain_text("Refunded $162.50")
    expect(page.locator(".payments-table")).to_contain_text("Partly refunded")
    screenshot(page, "97-payments-tab")

    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/{kim.pk}/payments/")
    expect(page.locator(".payments-table")).to_contain_text("for Kim, paid by Pat Parent")
    page.get_by_role("tab", name="Activity Log").click()
    expect(page.locator(".activity-log")).to_contain_text("Went home sick on Wednesday")
    assert errors == []


def test_the_sales_report_charts_the_months(browser_page, live_server, org_a, org_b, alice, screenshot):
    with tenant(org_a):
        party = services.package_save(package=Package(name="Party", price=20000, currency="USD"), by=alice)
        for name in ("Ann", "Ben", "Cy"):
            buyer = customer(first_name=name, last_name="Buyer", by=alice)
            services.sale_record(package=party, customer=buyer, payer=buyer, method="cash", by=alice)
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.locator(".report-tabs").get_by_role("link", name="Sales").click()
    expect(page.locator("[data-total=net]")).to_have_text("$600.00")
    expect(page.locator("canvas[data-chart=sales-chart]")).to_be_visible()
    expect(page.locator(".sales-customers tbody tr")).to_have_count(3)
    # Drawn by the vendored chart library (charts.js marks the canvas); no eval under the page's CSP.
    expect(page.locator("canvas[data-chart=sales-chart][data-drawn]")).to_have_count(1)
    screenshot(page, "98-sales-report")
    assert errors == []


def test_older_payments_open_in_place(browser_page, live_server, org_a, org_b, alice, screenshot):
    with tenant(org_a):
        jump = services.package_save(package=Package(name="Open jump", price=1800, currency="USD"), by=alice)
        pat = customer(first_name="Pat", last_name="Parent", by=alice)
        for _ in range(27):
            services.sale_record(package=jump, customer=pat, payer=pat, method="cash", by=alice)
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/{pat.pk}/payments/")
    expect(page.locator(".payments-table > tbody > tr")).to_have_count(25)
    page.get_by_role("link", name="Older payments").click()
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    expect(page.locator(".payments-table > tbody > tr")).to_have_count(2)
    assert page.url.endswith("/payments/?page=2")
    screenshot(page, "97-payments-tab-page-2")
    page.get_by_role("link", name="Newer payments").click()
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()
    assert errors == []
