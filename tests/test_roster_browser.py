"""In Chromium: staff find customers as they type, use the A–Z bar and the keyboard, open a profile and
its tabs, add a customer (fixing a mistake, then meeting a possible duplicate), archive, export a few."""

import re

import pytest
from playwright.sync_api import expect

from accounts.tenancy import tenant
from tags.models import Tag
from tags.services import tag_add
from tests.factories import customer
from tests.test_browser_journey import log_in, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def staff_page(browser_page, live_server, alice, org_a, org_b, bob):
    with tenant(org_a):
        customer(
            first_name="Jane", last_name="Smith", email="jane@alpha.example", phone="(555) 123-4567", by=alice
        )
        customer(
            first_name="John", last_name="Doe", email="john@alpha.example", phone="312-555-0199", by=alice
        )
        customer(first_name="José", last_name="Núñez", birthday="2017-06-01", by=alice)
    with tenant(org_b):
        customer(first_name="Jane", last_name="Smithson", email="other@beta.example", by=bob)
    page = browser_page
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/")
    return page


def rows(page):
    return page.locator("#roster-table tbody tr")


def test_staff_search_as_they_type_and_open_a_profile_with_the_keyboard(staff_page, screenshot, org_a):
    page = staff_page
    errors = watch_console(page)
    expect(rows(page)).to_have_count(3)
    screenshot(page, "10-roster")

    page.get_by_role("heading", name="Customers").click()
    page.keyboard.press("/")
    expect(page.get_by_label("Search customers")).to_be_focused()
    page.keyboard.type("smi")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("Smith, Jane")
    expect(page).to_have_url(re.compile(r"\?.*q=smi"))
    screenshot(page, "11-roster-search")

    page.get_by_label("Search customers").fill("nunez")
    expect(rows(page).first).to_contain_text("Núñez, José")
    page.get_by_label("Search customers").fill("Smtih")
    expect(page.get_by_role("status").filter(has_text="close matches")).to_contain_text(
        "Showing close matches"
    )
    expect(rows(page).first).to_contain_text("Smith, Jane")

    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Jane Smith")).to_be_visible()
    assert errors == []


def test_enter_right_after_typing_opens_the_first_result_of_what_was_typed(staff_page):
    page = staff_page
    expect(rows(page).first).to_contain_text("Doe, John")  # the first row before the search
    search = page.get_by_label("Search customers")
    search.fill("smith")
    search.press("Enter")  # well inside the 200 ms debounce
    expect(page.get_by_role("heading", name="Jane Smith")).to_be_visible()


def test_the_roster_fits_a_1280_pixel_window(staff_page, alice, org_a):
    with tenant(org_a):
        long = customer(
            first_name="Maximiliana",
            last_name="Featherstonehaugh",
            email="maximiliana.featherstonehaugh-worthington@alpha.example",
            phone="+1 (555) 123-4567 ext. 89",
            birthday="1980-12-24",
            by=alice,
        )
        for name in ("Birthday club 2026", "Corporate events", "Summer camp 2026"):
            tag_add(customer=long, tag=Tag.objects.create(name=name), by=alice)
    page = staff_page
    page.set_viewport_size({"width": 1280, "height": 800})
    page.reload()
    expect(rows(page)).to_have_count(4)
    overflow = page.evaluate(
        "[document.documentElement.scrollWidth - document.documentElement.clientWidth,"
        " document.querySelector('.table-responsive').scrollWidth"
        " - document.querySelector('.table-responsive').clientWidth]"
    )
    assert overflow == [0, 0]
    expect(page.get_by_title("maximiliana.featherstonehaugh-worthington@alpha.example")).to_be_visible()


def test_a_to_z_bar_and_back_button(staff_page, org_a):
    page = staff_page
    page.get_by_role("link", name="Last names starting with D").click()
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("Doe, John")
    expect(page).to_have_url(re.compile(r"letter=d"))
    page.get_by_role("link", name="All", exact=True).click()
    expect(rows(page)).to_have_count(3)
    page.go_back()
    expect(rows(page)).to_have_count(1)


def test_filter_panel_narrows_the_roster(staff_page, org_a, screenshot):
    page = staff_page
    page.get_by_role("button", name="Filters").click()
    page.get_by_label("Birthday month").select_option(label="June")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("Núñez, José")
    expect(page).to_have_url(re.compile(r"birthday_month=6"))
    screenshot(page, "17-roster-filters")
    page.get_by_label("Source").select_option("import")
    expect(page.locator("#result-count")).to_contain_text("No customers match")


def test_profile_tabs_load_in_place_with_their_own_urls(staff_page, org_a, screenshot):
    page = staff_page
    page.get_by_role("link", name="Smith, Jane").click()
    expect(page.get_by_role("heading", name="Jane Smith")).to_be_visible()
    screenshot(page, "12-profile-info")
    page.get_by_role("tab", name="Activity Log").click()
    expect(page).to_have_url(re.compile(r"/activity/$"))
    expect(page.get_by_role("tabpanel")).to_contain_text("Created by Alice Anders")
    screenshot(page, "13-profile-activity")
    page.go_back()
    expect(page.get_by_role("tabpanel")).to_contain_text("jane@alpha.example")

    page.get_by_role("tab", name="Info").click()
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("City").fill("Springfield")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status").first).to_contain_text("Changes saved.")
    expect(page.get_by_role("tabpanel")).to_contain_text("Springfield")

    page.get_by_role("button", name="Archive").click()
    expect(page.get_by_role("heading", name="Jane Smith")).to_contain_text("Archived")
    page.get_by_role("link", name="Customers").first.click()
    expect(rows(page)).to_have_count(2)


def test_add_customer_fix_an_error_then_meet_a_possible_duplicate(staff_page, org_a, screenshot):
    page = staff_page
    page.get_by_role("link", name="Add customer").first.click()
    page.get_by_label("First name").fill("Janet")
    page.get_by_label("Last name").fill("Smyth")
    page.get_by_label("Phone", exact=True).fill("12")
    page.get_by_role("button", name="Save customer").click()
    expect(page.locator(".invalid-feedback").first).to_contain_text("Enter a valid phone number")
    screenshot(page, "14-add-customer-error")

    page.get_by_label("Phone", exact=True).fill("555.123.4567")
    page.get_by_role("button", name="Save customer").click()
    warning = page.locator("#duplicate-warning")
    expect(warning).to_contain_text("This may be Jane Smith")
    screenshot(page, "15-duplicate-warning")
    page.get_by_role("button", name="Save anyway").click()
    expect(page.get_by_role("heading", name="Janet Smyth")).to_be_visible()
    expect(page.get_by_role("status").first).to_contain_text("Janet Smyth added.")


def test_select_rows_and_export_them(staff_page, org_a, screenshot):
    page = staff_page
    page.get_by_label("Search customers").fill("jo")
    expect(rows(page)).to_have_count(2)
    rows(page).filter(has_text="Doe, John").get_by_label("Select").check()
    screenshot(page, "16-roster-selection")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export CSV").click()
    exported = download_info.value.path().read_text(encoding="utf-8-sig")
    assert "john@alpha.example" in exported
    assert "jane@alpha.example" not in exported and "other@beta.example" not in exported


def test_the_bulk_actions_drawn_with_the_page_stay_as_results_change(staff_page, live_server, alice, org_a):
    """A fragment of results leaves the bulk bar's actions as the page drew them (their choice lists are read
    once a page); they show only while there are rows."""
    with tenant(org_a):
        Tag.objects.create(name="VIP")
    page = staff_page
    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/?q=zzzz")
    expect(page.get_by_text("No customers match")).to_be_visible()
    tag_control = page.get_by_label("Tag to add or remove")
    expect(tag_control).to_be_hidden()
    with page.expect_response(lambda response: "q=smi" in response.url) as fragment:
        page.get_by_label("Search customers").fill("smi")
    assert "Tag to add or remove" not in fragment.value.text()  # the page's control is kept, not sent again
    expect(rows(page)).to_have_count(1)
    expect(tag_control).to_be_visible()
    rows(page).first.get_by_label("Select").check()
    tag_control.select_option(label="VIP")
    page.get_by_role("button", name="Add tag").click()
    expect(page.get_by_text("1 customer tagged (“VIP”).")).to_be_visible()
    expect(rows(page).first.locator(".tag-chip")).to_have_text(["VIP"])
