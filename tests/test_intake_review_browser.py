"""In Chromium: a stranger sends the public intake form with a known customer's email and other details;
nothing on file changes until staff accept or reject each answer from the profile's Form responses box."""

import pytest
from playwright.sync_api import expect

from accounts.tenancy import tenant
from customers.models import Customer
from intake.models import IntakeForm
from tests.factories import customer
from tests.test_browser_journey import log_in, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_accept_one_answer_and_reject_another(browser, browser_page, live_server, org_a, screenshot):
    with tenant(org_a):
        cam = customer(
            first_name="Cam", last_name="Per", email="cam@example.com", emergency_contact_phone="312-555-0199"
        )
        IntakeForm.objects.create(
            title="Party guests",
            slug="guests",
            is_open=True,
            fields=[
                {"name": name, "required": True} for name in ("first_name", "last_name", "email", "phone")
            ]
            + [{"name": "emergency_contact_phone", "required": False}],
        )
    stranger = browser.new_context().new_page()
    stranger.goto(f"{live_server.url}/{org_a.slug}/forms/guests/")
    stranger.get_by_label("First name").fill("Mallory")
    stranger.get_by_label("Last name").fill("Per")
    stranger.get_by_label("Email").fill("cam@example.com")
    stranger.get_by_label("Phone", exact=True).fill("(312) 555-0142")
    stranger.get_by_label("Emergency contact phone").fill("312-555-0666")
    stranger.get_by_role("button", name="Send").click()
    expect(stranger.get_by_role("heading", level=1)).to_contain_text("Thank")

    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/{cam.pk}/")
    box = page.get_by_role("region", name="Form responses")
    expect(box.get_by_role("row")).to_have_count(3)  # the header, the first name, the emergency phone
    expect(box).to_contain_text("Mallory")
    expect(page.locator("h1")).to_contain_text("Cam")  # the blank phone was filled, the name was not changed
    screenshot(page, "80-form-responses")

    box.get_by_role("button", name="Accept Emergency contact phone: 312-555-0666").click()
    expect(box.get_by_role("row")).to_have_count(2)
    box.get_by_role("button", name="Reject First name: Mallory").click()
    expect(box).to_contain_text("Every answer has been reviewed.")
    with tenant(org_a):
        cam = Customer.objects.get(pk=cam.pk)
        assert (cam.first_name, cam.emergency_contact_phone) == ("Cam", "312-555-0666")
        assert cam.phone == "(312) 555-0142"  # blank on file: filled at once
    page.reload()
    expect(page.get_by_role("region", name="Form responses")).to_have_count(0)
    assert errors == []
