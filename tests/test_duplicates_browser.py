"""The duplicate finder in a browser: Settings → Duplicates, Scan now in the worker, a pair with its reasons,
Not a duplicate."""

from datetime import date

import pytest
from playwright.sync_api import expect

from accounts.tenancy import tenant
from tests.factories import customer
from tests.test_browser_journey import log_in


@pytest.mark.django_db(transaction=True)
def test_admin_scans_sees_a_pair_with_reasons_and_marks_it_not_a_duplicate(
    browser_page, live_server, celery_worker, alice, org_a, org_b, bob, screenshot
):
    with tenant(org_a):
        customer(
            first_name="Robert", last_name="Stone", email="robert.stone@gmail.com", birthday=date(1984, 5, 6)
        )
        customer(
            first_name="Bob", last_name="Stone", email="RobertStone+pool@gmail.com", phone="312 555 0142"
        )
        customer(first_name="Elena", last_name="Marsh", phone="312 555 0190")
    with tenant(org_b):
        customer(first_name="Robert", last_name="Stone", email="robert.stone@gmail.com")
    page = browser_page
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/settings/")
    page.get_by_role("link", name="Duplicates").click()
    expect(page.locator("#duplicates-empty")).to_contain_text("Scan now")

    page.get_by_role("button", name="Scan now").click()
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("Robert Stone", timeout=30_000)
    expect(row).to_contain_text("Bob Stone")
    for reason in ("Same email", "Nickname"):
        expect(row).to_contain_text(reason)
    expect(page.get_by_role("status")).to_contain_text("Last scanned")
    expect(page.locator("tbody tr")).to_have_count(1)  # Elena and the other organization's Robert: no pair
    screenshot(page, "duplicates-1-pair")
    row.get_by_role("link", name="Merge…").click()  # the pair opens the merge preview of the two
    expect(page.get_by_role("heading", name="Merge two customers")).to_be_visible()
    expect(page.locator("body")).to_contain_text("Bob Stone")
    page.go_back()

    row.get_by_role("button", name="Not a duplicate").click()
    expect(page.locator("tbody tr").first).to_contain_text("They won't be paired again")
    screenshot(page, "duplicates-2-not-a-duplicate")
    page.reload()
    expect(page.locator("#duplicates-empty")).to_be_visible()
