"""In Chromium: an admin changes the Required Customer Fields grid, and each sign-up page and the staff form
then ask for exactly what it says."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.inbox import emailed_path
from tests.test_browser_journey import log_in, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_sets_rules_and_every_form_follows(
    celery_worker, smtp_server, browser_page, browser, live_server, org_a, org_b, screenshot
):
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/settings/required-fields/")

    page.locator("label[for=rule-birthday-online_booking-required]").click()
    expect(page.get_by_label("Birthday, Online Booking, Required")).to_be_checked()
    expect(page.get_by_text("You have unsaved changes.")).to_be_visible()
    page.locator("label[for=rule-gender-online_store-hidden]").click()
    page.get_by_role("button", name="Save Changes").first.click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_contain_text("Saved (2 changes).")
    expect(page.get_by_text("You have unsaved changes.")).to_be_hidden()
    expect(page.locator("#rule-history")).to_contain_text("Optional → Hide")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "20-required-fields-grid")

    visitor = browser.new_context().new_page()
    visitor_errors = watch_console(visitor)
    visitor.goto(f"{live_server.url}/{org_a.slug}/signup/booking/")
    birthday = visitor.get_by_label("Birthday", exact=True)  # the children have their own
    expect(birthday).to_be_visible()
    expect(visitor.get_by_label("Gender")).to_be_visible()
    expect(visitor.get_by_label("Customer number")).to_have_count(0)
    expect(visitor.locator(".required").filter(has=birthday)).to_have_count(1)
    screenshot(visitor, "21-signup-booking")

    visitor.goto(f"{live_server.url}/{org_a.slug}/signup/store/")
    expect(visitor.get_by_label("Gender")).to_have_count(0)
    expect(visitor.locator(".required").filter(has=birthday)).to_have_count(0)
    visitor.get_by_label("First name", exact=True).fill("Vera")
    visitor.get_by_label("Last name", exact=True).fill("Visitor")
    visitor.get_by_label("Email", exact=True).fill("vera.rules@example.com")
    visitor.get_by_label("Password", exact=True).fill(PASSWORD)
    visitor.get_by_label("Password confirmation").fill(PASSWORD)
    visitor.get_by_role("button", name="Create account").click()
    expect(visitor.locator(".invalid-feedback").first).to_contain_text("This field is required.")  # phone
    screenshot(visitor, "22-signup-store-error")
    visitor.get_by_label("Phone").fill("(312) 555-0142")
    visitor.get_by_label("Password", exact=True).fill(PASSWORD)
    visitor.get_by_label("Password confirmation").fill(PASSWORD)
    visitor.get_by_label("Child's first name").first.fill("Vik")
    visitor.get_by_label("Child's birthday").first.fill("2019-04-05")
    visitor.get_by_role("button", name="Create account").click()
    expect(visitor.get_by_role("heading", level=1)).to_contain_text("Check your email")
    path = emailed_path(
        smtp_server.wait_for("vera.rules@example.com"), rf"/{org_a.slug}/signup/confirm/[\w-]+/"
    )
    visitor.goto(live_server.url + path)
    visitor.get_by_label("The password you chose").fill(PASSWORD)
    visitor.get_by_role("button", name="Confirm and sign in").click()
    expect(visitor).to_have_url(re.compile(rf"/{org_a.slug}/account/$"))
    expect(visitor.get_by_role("heading", level=1)).to_contain_text("Welcome, Vera!")

    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/new/")
    expect(page.get_by_label("Gender")).to_be_visible()
    expect(page.get_by_label("Customer number")).to_be_visible()
    expect(page.locator(".required").filter(has=page.get_by_label("Birthday"))).to_have_count(0)
    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/?q=vera")
    expect(page.locator("#roster-table tbody tr").first).to_contain_text("Visitor, Vera")
    assert errors == [] and visitor_errors == []
