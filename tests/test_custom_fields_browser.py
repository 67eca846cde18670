"""In Chromium: an admin defines custom fields of three types and drags them into order, staff fill them in on
a customer and filter the roster by one, and a visitor sends an intake form."""

import re

import pytest
from playwright.sync_api import expect

from accounts.tenancy import tenant
from customers.models import Customer, CustomFieldValue
from tests.factories import customer
from tests.test_browser_journey import log_in, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def add_field(page, label: str, field_type: str, *, options=(), customer_edits=False):
    page.get_by_role("link", name="Add custom field").first.click()
    page.get_by_label("Label").fill(label)
    page.get_by_label("Type").select_option(label=field_type)
    if customer_edits:
        page.get_by_label("Person — describes the customer").check()
        page.locator("#id_visible_to").get_by_label("The customer").check()
        page.locator("#id_editable_by").get_by_label("The customer").check()
    for index, option in enumerate(options):
        page.get_by_label(f"Option {index + 1}", exact=True).fill(option)
    page.get_by_role("button", name="Save field").click()
    expect(page.get_by_role("status").filter(has_text="saved")).to_contain_text(f"“{label}” saved.")


def test_custom_fields_from_definition_to_filter_and_intake_form(
    browser_page, browser, live_server, org_a, org_b, screenshot
):
    with tenant(org_a):
        jane = customer(first_name="Jane", last_name="Doe", email="jane@example.com")
        customer(first_name="John", last_name="Doe")
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/settings/custom-fields/")
    expect(page.get_by_text("No custom fields yet.")).to_be_visible()

    page.get_by_role("link", name="Add custom field").first.click()
    page.get_by_label("Type").select_option(label="Single choice")
    expect(page.get_by_text("Options", exact=True)).to_be_visible()
    expect(page.get_by_label("Smallest number")).to_be_hidden()
    page.get_by_role("button", name="Save field").click()
    expect(page.locator(".invalid-feedback").first).to_contain_text("This field is required.")  # the label
    screenshot(page, "30-custom-field-error")
    page.goto(f"{live_server.url}/app/{org_a.slug}/settings/custom-fields/")

    add_field(page, "T-shirt size", "Single choice", options=["Small", "Medium", "Large"])
    add_field(page, "Allergies", "Short text", customer_edits=True)
    add_field(page, "Member since", "Date")
    rows = page.locator(".custom-fields-table tbody tr")
    expect(rows.locator("th")).to_have_text(["T-shirt size", "Allergies", "Member since"])

    # Drag "Member since" to the top; the order saves itself.
    with page.expect_response(lambda response: response.request.method == "POST"):
        rows.nth(2).locator(".drag-handle").drag_to(rows.nth(0).locator(".drag-handle"))
    expect(rows.locator("th")).to_have_text(["Member since", "T-shirt size", "Allergies"])
    page.get_by_role("button", name="Move Allergies up").click()  # the keyboard way
    expect(rows.locator("th")).to_have_text(["Member since", "Allergies", "T-shirt size"])
    page.reload()
    expect(rows.locator("th")).to_have_text(["Member since", "Allergies", "T-shirt size"])
    screenshot(page, "31-custom-fields-list")

    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/{jane.pk}/")
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Member since").fill("2023-04-01")
    page.get_by_label("Allergies").fill("Peanuts")
    page.get_by_label("T-shirt size").select_option(label="Medium")
    screenshot(page, "32-custom-fields-edit")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Changes saved.")).to_be_visible()
    info = page.locator("section", has_text="More about them")
    expect(info).to_contain_text("Medium")
    expect(info).to_contain_text("Apr 1, 2023")
    screenshot(page, "33-custom-fields-profile")

    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/")
    page.get_by_role("button", name="Filters").click()
    page.locator("#filter-panel").get_by_label("Medium").check()
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("Jane")
    expect(page).to_have_url(re.compile(r"cf_\d+="))
    screenshot(page, "34-roster-custom-filter")

    page.goto(f"{live_server.url}/app/{org_a.slug}/settings/forms/")
    page.get_by_role("link", name="New intake form").first.click()
    page.get_by_label("Title").fill("Camp sign-up")
    page.get_by_label("Slug").fill("camp")
    page.get_by_label("Ask Allergies").check()
    page.get_by_label("Allergies required").check()
    page.get_by_role("button", name="Save form").click()
    expect(page.get_by_role("status").filter(has_text="saved")).to_contain_text("“Camp sign-up” saved.")
    screenshot(page, "35-intake-forms")

    visitor = browser.new_context().new_page()
    visitor_errors = watch_console(visitor)
    visitor.goto(f"{live_server.url}/{org_a.slug}/forms/camp/")
    expect(visitor.get_by_label("T-shirt size")).to_have_count(0)
    visitor.get_by_label("First name").fill("Cam")
    visitor.get_by_label("Last name").fill("Per")
    visitor.get_by_label("Email").fill("cam@example.com")
    visitor.get_by_role("button", name="Send").click()
    expect(visitor.locator(".invalid-feedback")).to_contain_text("This field is required.")
    screenshot(visitor, "36-intake-form-error")
    visitor.get_by_label("Allergies").fill("Bees")
    visitor.get_by_role("button", name="Send").click()
    expect(visitor.get_by_text("has received your answers")).to_be_visible()
    with tenant(org_a):
        cam = Customer.objects.get(email="cam@example.com")
        assert CustomFieldValue.objects.get(customer=cam).text == "Bees"
    assert errors == [] and visitor_errors == []
