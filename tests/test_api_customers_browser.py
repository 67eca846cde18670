"""In Chromium: an admin makes a key with the scopes grid, and the Activity Log names that key for a customer
it added."""

import json

import pytest
from playwright.sync_api import expect

from tests.test_browser_journey import log_in, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_makes_a_key_with_the_scope_grid_and_sees_its_writes_attributed(
    browser_page, live_server, org_a, org_b, alice, screenshot
):
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/settings/api-keys/")
    page.get_by_label("Imports: send customers, read import jobs").uncheck()
    page.get_by_role("button", name="Make key").click()
    expect(page.locator(".api-key-scopes .invalid-feedback")).to_be_visible()
    page.get_by_label("Name").fill("Website sync")
    page.get_by_label("Customers: create, update, archive").check()
    page.get_by_label("Tags: read").check()
    screenshot(page, "95-api-key-scope-grid")
    page.get_by_role("button", name="Make key").click()
    expect(page.locator(".key-scopes")).to_contain_text("Customers: create, update, archive")
    secret = page.locator("#api-key-secret").input_value()
    created = page.request.post(
        f"{live_server.url}/api/v1/customers/",
        data=json.dumps({"first_name": "Ana", "last_name": "Lee"}),
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
    )
    assert created.status == 201, created.text()
    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/{created.json()['id']}/activity/")
    expect(page.locator(".activity-log")).to_contain_text("by API key “Website sync”")
    screenshot(page, "96-activity-by-api-key")
    page.goto(f"{live_server.url}/app/{org_a.slug}/settings/api-keys/")
    expect(page.locator("table.api-keys")).to_contain_text("Tags: read")
    screenshot(page, "97-api-keys-list")
    assert errors == []
