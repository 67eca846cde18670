"""In Chromium: staff invite a customer → the email arrives → the customer claims the account with a
password → edits their details (with a required field) → adds a guest child → staff see it all."""

import pytest
from playwright.sync_api import expect

from accounts.tenancy import tenant
from tests.conftest import PASSWORD
from tests.factories import customer
from tests.test_browser_journey import log_in, watch_console
from tests.test_claims import claim_link

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_invite_claim_and_self_service(
    browser_page, browser, live_server, celery_worker, smtp_server, org_a, org_b, screenshot
):
    with tenant(org_a):
        jo = customer(first_name="Jo", last_name="March", email="jo.march@example.com")
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/{jo.pk}/")
    box = page.locator(".account-box")
    expect(box.locator(".claim-status")).to_have_text("Not invited")
    box.get_by_role("button", name="Invite to claim account").click()
    expect(page.get_by_text("is on its way to jo.march@example.com")).to_be_visible()

    path = claim_link(smtp_server.wait_for("jo.march@example.com"))
    visitor = browser.new_context().new_page()
    visitor_errors = watch_console(visitor)
    visitor.goto(live_server.url + path)
    expect(visitor.get_by_role("heading", name="Hello Jo!")).to_be_visible()
    visitor.get_by_label("Password", exact=True).fill(PASSWORD)
    visitor.get_by_label("Password confirmation").fill(PASSWORD)
    visitor.get_by_role("button", name="Claim my account").click()
    expect(visitor.locator(".invalid-feedback")).to_contain_text("This field is required.")  # the terms
    visitor.get_by_label("Password", exact=True).fill(PASSWORD)
    visitor.get_by_label("Password confirmation").fill(PASSWORD)
    visitor.get_by_label("I accept the terms").check()
    screenshot(visitor, "50-claim")
    visitor.get_by_role("button", name="Claim my account").click()
    expect(visitor.get_by_text("Your account with")).to_be_visible()

    visitor.get_by_label("First name").fill("Josephine")
    visitor.get_by_role("button", name="Save my details").click()
    expect(visitor.locator(".invalid-feedback")).to_contain_text("This field is required.")  # phone, online
    screenshot(visitor, "51-portal-profile-error")
    visitor.get_by_label("Phone").fill("(312) 555-0199")
    visitor.get_by_role("button", name="Save my details").click()
    expect(visitor.get_by_text("Your details are saved.")).to_be_visible()

    visitor.get_by_role("link", name="My family").click()
    expect(visitor.get_by_text("No one yet.")).to_be_visible()
    visitor.get_by_label("First name").fill("Amy")
    visitor.get_by_label("Birthday").fill("2019-07-04")
    visitor.get_by_role("button", name="Add child").click()
    expect(visitor.locator(".family-members")).to_contain_text("Amy March")
    screenshot(visitor, "52-portal-family")

    page.reload()
    expect(box.locator(".claim-status")).to_have_text("Claimed")
    expect(page.locator(".people-box")).to_contain_text("Amy March")
    page.get_by_role("tab", name="Activity Log").click()
    log = page.locator(".activity-log")
    expect(log).to_contain_text("Claimed their account")
    expect(log).to_contain_text("Changed by the customer")
    expect(log).to_contain_text("Invited to claim their account")
    screenshot(page, "53-staff-sees-claim")
    assert errors == [] and visitor_errors == []
