"""In Chromium, against the Stripe emulator and its stand-in for Stripe.js: a visitor signs up in the store
(under the Online Store rules) with their child, buys a camp for the child with a card they type and keep;
staff see the payment on both profiles, refund half of it (through Stripe); the parent reads the refund in
the portal and in their email, and finds their saved card under Cards."""

import re

import pytest
from playwright.sync_api import expect

from accounts.tenancy import tenant
from billing import account_services, services
from billing.models import ForWhom, Package, Refund, SavedCard
from customers.models import Customer
from tests.conftest import PASSWORD
from tests.inbox import email_text, emailed_path
from tests.store_helpers import ALPHA_KEYS
from tests.test_browser_journey import log_in, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def type_card(page, number: str = "4242424242424242") -> None:
    """The emulator's Stripe.js stand-in draws plain fields (real Stripe.js draws them in its own frame)."""
    card = page.locator("#card-element")
    card.get_by_placeholder("number").fill(number)
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("30")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("10001")


def test_a_parent_buys_a_camp_for_their_child_and_staff_refund_half(
    browser, browser_page, live_server, celery_worker, smtp_server, org_a, alice, screenshot
):
    with tenant(org_a):
        account_services.payment_account_connect(**ALPHA_KEYS, by=alice)
        services.package_save(
            package=Package(
                name="Summer camp week",
                description="Five mornings of games and crafts.",
                price=32500,
                currency="USD",
                for_whom=ForWhom.CHILD,
                min_age=5,
                max_age=12,
            ),
            by=alice,
        )
    visitor = browser.new_context().new_page()
    visitor_errors = watch_console(visitor)
    visitor.goto(f"{live_server.url}/{org_a.slug}/store/")
    screenshot(visitor, "98-store")
    visitor.get_by_role("link", name="Summer camp week").first.click()
    visitor.get_by_role("link", name=re.compile("^Buy")).click()
    visitor.get_by_role("link", name=re.compile("Create an account")).click()
    visitor.get_by_label("First name", exact=True).fill("Vera")
    visitor.get_by_label("Last name", exact=True).fill("Visitor")
    visitor.get_by_label("Email", exact=True).fill("vera.buys@example.com")
    visitor.get_by_label("Phone").fill("(312) 555-0142")
    visitor.get_by_label("Password", exact=True).fill(PASSWORD)
    visitor.get_by_label("Password confirmation").fill(PASSWORD)
    visitor.get_by_label("Child's first name").first.fill("Vik")
    visitor.get_by_label("Child's birthday").first.fill("2019-04-05")
    visitor.get_by_role("button", name="Create account").click()
    expect(visitor.get_by_role("heading", level=1)).to_contain_text("Check your email")
    path = emailed_path(
        smtp_server.wait_for("vera.buys@example.com"), rf"/{org_a.slug}/signup/confirm/[\w-]+/"
    )
    visitor.goto(live_server.url + path)
    visitor.get_by_label("The password you chose").fill(PASSWORD)
    visitor.get_by_role("button", name="Confirm and sign in").click()

    expect(visitor).to_have_url(re.compile(rf"/{org_a.slug}/store/\d+/buy/$"))  # back where they were
    visitor.get_by_label("Vik Visitor").check()
    visitor.get_by_role("button", name=re.compile("Continue|Pay|Buy")).click()
    expect(visitor.get_by_role("heading", level=1)).to_contain_text("Pay for Summer camp week")
    expect(visitor.get_by_text("For Vik Visitor")).to_be_visible()
    type_card(visitor)
    expect(visitor.get_by_label("Save this card for next time")).to_be_checked()
    screenshot(visitor, "99-store-card")
    visitor.get_by_role("button", name="Pay $325.00").click()
    expect(visitor.get_by_role("heading", level=1)).to_contain_text("Thank you")
    expect(visitor.locator("main")).to_contain_text("Visa •••• 4242")
    screenshot(visitor, "100-store-receipt")
    assert "Summer camp week" in email_text(
        smtp_server.wait_for("vera.buys@example.com", subject="Your receipt")
    )

    with tenant(org_a):
        vera = Customer.objects.get(email="vera.buys@example.com")
        vik = Customer.objects.get(first_name="Vik")
        assert vera.source == "online_store" and SavedCard.objects.filter(customer=vera).count() == 1
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/{vik.pk}/payments/")
    expect(page.locator(".payments-table tbody tr").first).to_contain_text("paid by Vera Visitor")
    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/{vera.pk}/payments/")
    row = page.locator(".payments-table tbody tr").first
    expect(row).to_contain_text("$325.00")
    expect(row).to_contain_text("Visa •••• 4242")
    page.get_by_role("link", name="Refund Summer camp week").click()
    page.get_by_label("Amount").fill("162.50")
    page.get_by_label("Reason").fill("Camp shortened to three mornings")
    page.get_by_role("button", name="Refund", exact=True).click()
    expect(page.get_by_text("Refund recorded.")).to_be_visible()
    expect(page.locator(".refund-row")).to_contain_text("Refunded $162.50")
    expect(page.locator(".refund-row")).to_contain_text("re_")  # made in Stripe
    screenshot(page, "101-payments-card-refund")
    with tenant(org_a):
        assert Refund.objects.get().stripe_refund.startswith("re_")

    notice = email_text(smtp_server.wait_for("vera.buys@example.com", subject="A refund from"))
    assert "$162.50" in notice and "Camp shortened to three mornings" in notice
    visitor.goto(f"{live_server.url}/{org_a.slug}/account/payments/")
    expect(visitor.locator(".portal-payments")).to_contain_text("$162.50 refunded")
    expect(visitor.locator(".portal-payments")).to_contain_text("for Vik Visitor")
    visitor.get_by_role("link", name="Cards").click()
    expect(visitor.locator(".saved-cards")).to_contain_text("Visa •••• 4242, expires 12/2030")
    screenshot(visitor, "102-portal-cards")
    assert errors == [] and visitor_errors == []
