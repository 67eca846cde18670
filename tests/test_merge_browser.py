"""In Chromium: an admin finds the other entry of a person from the profile, picks a field on the preview,
merges, sees both entries' notes and tags together, undoes the merge from the Activity Log and finds both
back."""

import pytest
from playwright.sync_api import expect

from accounts.tenancy import tenant
from notes import services as note_services
from notes.models import Visibility
from tags import services as tag_services
from tags.models import Tag
from tests.factories import customer
from tests.test_browser_journey import log_in, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_merges_two_entries_of_one_person_and_undoes_it(
    browser_page, live_server, org_a, org_b, alice, screenshot
):
    with tenant(org_a):
        pat = customer(by=alice, first_name="Pat", last_name="Lee", phone="555-0100")
        patricia = customer(by=alice, first_name="Patricia", last_name="Lee", email="pat@example.com")
        tag_services.tag_add(customer=pat, tag=tag_services.tag_save(tag=Tag(name="VIP"), by=alice), by=alice)
        tag_services.tag_add(
            customer=patricia, tag=tag_services.tag_save(tag=Tag(name="Swimmer"), by=alice), by=alice
        )
        for person, text in ((pat, "Likes slides"), (patricia, "Peanut allergy")):
            note_services.note_add(
                customer=person, text=text, visibility=Visibility.STAFF, pinned=False, by=alice
            )
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/{pat.pk}/")
    page.get_by_role("link", name="Merge with…").click()
    page.get_by_label("Name, email, phone or customer number").fill("pat@exa")
    page.get_by_role("link", name="Compare and merge").click()

    expect(page.get_by_role("heading", name="Merge two customers")).to_be_visible()
    expect(page.get_by_label("pat@example.com")).to_be_checked()  # the only email is kept by default
    page.get_by_role("row", name="First name").get_by_label("Patricia").check()
    screenshot(page, "merge-preview")
    page.get_by_role("button", name="Merge").click()

    expect(page.get_by_role("heading", name="Patricia Lee")).to_be_visible()
    expect(page.get_by_text("can undo it for 30 days")).to_be_visible()
    expect(page.locator("body")).to_contain_text("VIP")
    expect(page.locator("body")).to_contain_text("Swimmer")
    page.get_by_role("tab", name="Notes").click()
    expect(page.get_by_text("Peanut allergy")).to_be_visible()
    expect(page.get_by_text("Likes slides")).to_be_visible()
    screenshot(page, "merge-done")

    page.get_by_role("tab", name="Activity Log").click()
    page.get_by_role("link", name="Undo merge…").click()
    screenshot(page, "merge-undo")
    page.get_by_role("button", name="Undo merge").click()
    expect(page.get_by_text("Merge undone")).to_be_visible()
    expect(page.get_by_role("heading", name="Patricia Lee")).to_be_visible()  # the merged-away entry, back
    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/{pat.pk}/")
    expect(page.get_by_role("heading", name="Pat Lee")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Swimmer")
    assert errors == []
