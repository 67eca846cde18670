"""In Chromium: staff add two children to a parent (one already on the roster, one new guest), a second
guardian, set a guardian's permissions, open the family view, add a school and link a teacher."""

import re

import pytest
from playwright.sync_api import expect

from accounts.tenancy import tenant
from families.models import GuardianLink
from tests.factories import customer
from tests.test_browser_journey import log_in, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def add_person(
    page, *, existing: str | None = None, direction="Someone they look after", relationship="Parent"
):
    page.get_by_role("link", name="Add person").click()
    form = page.locator(".person-add-form")
    form.get_by_label(direction).check()
    if existing:
        form.get_by_label("Someone on the roster").check()
        form.get_by_label("Find them on the roster").fill(existing)
        form.locator("#person-matches").get_by_role("radio", name=re.compile(existing)).check()
    form.get_by_label("Relationship").select_option(label=relationship)
    return form


def test_a_family_is_built_from_the_profile(browser_page, live_server, org_a, org_b, screenshot):
    with tenant(org_a):
        ann = customer(first_name="Ann", last_name="Doe", email="ann@doe.example")
        customer(first_name="Cy", last_name="Doe", birthday="2016-04-02")
        customer(first_name="Bob", last_name="Doe", email="bob@doe.example")
        customer(first_name="Mr", last_name="Teacher", email="teacher@example.com")
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/{ann.pk}/")
    expect(page.get_by_text("No family linked yet.")).to_be_visible()

    form = add_person(page, existing="Cy Doe")
    form.get_by_label("Primary guardian").check()
    form.get_by_role("button", name="Add").click()
    expect(page.locator(".people-box .family-link")).to_contain_text("Cy Doe")

    form = add_person(page)
    expect(form.get_by_label("Last name")).to_have_value("Doe")
    form.get_by_label("First name").fill("Eli")
    form.get_by_role("textbox", name="Birthday").fill("2020-09-12")
    screenshot(page, "40-people-add-guest")
    form.get_by_role("button", name="Add").click()
    box = page.locator(".people-box")
    expect(box.locator(".family-link")).to_have_count(2)
    expect(box.locator(".family-link", has_text="Eli Doe")).to_contain_text("guest")

    box.get_by_role("link", name="Cy Doe", exact=True).click()
    form = add_person(page, existing="Bob Doe", direction="A guardian of theirs")
    form.get_by_role("button", name="Add").click()
    guardians = page.locator(".people-box")
    expect(guardians.locator(".family-link")).to_have_text([re.compile("Ann Doe"), re.compile("Bob Doe")])
    guardians.get_by_role("link", name="Edit the link with Bob Doe").click()
    page.get_by_label("Pay with own saved cards").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Guardian link saved.")).to_be_visible()
    bob_chips = page.locator(".family-link", has_text="Bob Doe")
    expect(bob_chips).not_to_contain_text("Pay with own saved cards")
    expect(page.locator(".family-link", has_text="Ann Doe")).to_contain_text("Pay with own saved cards")
    screenshot(page, "41-people-box")

    page.get_by_role("link", name="Family view").click()
    rows = page.locator(".family-table tbody tr")
    expect(rows).to_have_count(4)  # Ann, Bob, Cy, Eli
    screenshot(page, "42-family-view")

    page.goto(f"{live_server.url}/app/{org_a.slug}/families/organizations/")
    expect(page.get_by_text("No affiliated organizations yet")).to_be_visible()
    page.get_by_role("link", name="Add organization").first.click()
    page.get_by_label("Name").fill("Lincoln Elementary")
    page.get_by_label("Contact person").fill("Dana Whitfield")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Lincoln Elementary added.")).to_be_visible()

    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/")
    page.get_by_role("link", name="Teacher, Mr").click()
    page.get_by_label("Organization", exact=True).select_option(label="Lincoln Elementary")
    page.get_by_label("Role").select_option(label="Teacher")
    page.get_by_role("button", name="Link", exact=True).click()
    expect(page.locator(".affiliations-box")).to_contain_text("Lincoln Elementary · Teacher")
    page.locator(".affiliations-box").get_by_role("link", name="Lincoln Elementary").click()
    expect(page.get_by_role("table")).to_contain_text("Mr Teacher")
    screenshot(page, "43-affiliated-organization")
    with tenant(org_a):
        assert GuardianLink.objects.count() == 3
    assert errors == []
