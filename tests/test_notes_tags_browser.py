"""In Chromium: staff open the Notes tab (only its content is swapped; the strip marks it), add, pin and edit
a note and read its history; tag three customers at once from the roster, filter by two tags, save the view as
a segment and reopen it."""

import re

import pytest
from playwright.sync_api import expect

from accounts.tenancy import tenant
from customers.models import Segment
from tags import services as tag_services
from tags.models import CustomerTag, Tag
from tests.factories import customer
from tests.test_browser_journey import log_in, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_note_is_added_pinned_edited_and_its_history_read(browser_page, live_server, org_a, screenshot):
    with tenant(org_a):
        jane = customer(first_name="Jane", last_name="Doe", email="jane@example.com")
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/{jane.pk}/")
    page.get_by_role("tab", name="Notes").click()
    expect(page.get_by_text("No notes yet.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/notes/$"))
    expect(page.get_by_role("tab", name="Notes")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tab", name="Info")).to_have_attribute("aria-selected", "false")
    expect(page.get_by_role("tab", name="Info")).not_to_have_class(re.compile("active"))
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_text("Write something first.")).to_be_visible()
    page.get_by_label("Note").fill("Allergic to peanuts.\nSee https://example.com/menu")
    page.get_by_role("button", name="Add note").click()
    note = page.locator(".notes-list .note").first
    expect(note).to_contain_text("Allergic to peanuts.")
    expect(note.get_by_role("link", name="https://example.com/menu")).to_be_visible()
    expect(page.get_by_role("tab", name="Notes 1")).to_be_visible()

    note.get_by_role("button", name="Pin").click()
    expect(page.locator(".pinned-note")).to_contain_text("Allergic to peanuts.")
    page.locator(".notes-list .note").first.get_by_role("link", name="Edit").click()
    page.get_by_label("Note").fill("Allergic to peanuts and tree nuts.")
    page.get_by_label("Who can read it").select_option(label="Admins only")
    page.get_by_role("button", name="Save note").click()
    note = page.locator(".notes-list .note").first
    expect(note).to_contain_text("tree nuts")
    expect(note).to_contain_text("Admins only")
    screenshot(page, "50-notes-tab")

    note.get_by_role("link", name=re.compile("edited")).click()
    expect(page.locator(".note-revision")).to_have_count(1)
    expect(page.locator(".note-revision")).to_contain_text("Allergic to peanuts.")
    screenshot(page, "51-note-history")

    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/?q=doe")
    expect(page.locator(".pinned-mark")).to_have_attribute("title", re.compile("tree nuts"))
    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/{jane.pk}/activity/")
    page.get_by_role("link", name="Notes", exact=True).click()
    expect(page.locator(".activity-log li")).to_have_count(3)  # added, pinned, edited
    expect(page.locator(".activity-log")).to_contain_text("tree nuts")
    assert errors == []


def test_bulk_tagging_two_tag_filter_and_a_saved_segment(browser_page, live_server, org_a, alice, screenshot):
    with tenant(org_a):
        vip = tag_services.tag_save(tag=Tag(name="VIP", color="purple"), by=alice)
        tag_services.tag_save(tag=Tag(name="Birthday club", color="pink"), by=alice)
        people = [customer(first_name=name, last_name="Tagger") for name in ("Ann", "Ben", "Cy", "Di")]
        tag_services.tag_add(customer=people[0], tag=vip, by=alice)
        tag_services.tag_add(customer=people[3], tag=vip, by=alice)
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/?q=tagger")
    for name in ("Ann", "Ben", "Cy"):
        page.get_by_label(f"Select {name} Tagger").check()
    page.get_by_label("Tag to add or remove").select_option(label="Birthday club")
    page.get_by_role("button", name="Add tag").click()
    expect(page.get_by_text("3 customers tagged (“Birthday club”).")).to_be_visible()

    page.get_by_role("button", name="Filters").click()
    panel = page.locator("#filter-panel")
    panel.get_by_label("Birthday club").check()
    panel.get_by_label("VIP").check()
    panel.get_by_label("Customers who").select_option(label="have all of")
    rows = page.locator("#roster-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Tagger, Ann")
    expect(rows.first.locator(".tag-chip")).to_have_text(["Birthday club", "VIP"])
    screenshot(page, "52-roster-two-tags")

    page.get_by_text("Save as segment").click()
    page.get_by_label("Segment name").fill("VIP birthday club")
    page.locator(".save-segment-form").get_by_role("button", name="Save").click()
    expect(page.locator(".segment-open")).to_contain_text("VIP birthday club")

    page.get_by_role("link", name="Segments", exact=True).click()
    expect(page.locator(".segment-count")).to_have_text("1")
    screenshot(page, "53-segments")
    with tenant(org_a):  # the segment stays right as the roster changes
        tag_services.tag_add(customer=people[3], tag=Tag.objects.get(name="Birthday club"), by=alice)
    page.get_by_role("link", name="Open").click()
    expect(page.locator("#roster-table tbody tr")).to_have_count(2)
    expect(page.locator(".segment-open")).to_contain_text("VIP birthday club")
    with tenant(org_a):
        assert Segment.objects.get().shared
        assert CustomerTag.objects.filter(tag__name="Birthday club").count() == 4
    assert errors == []
