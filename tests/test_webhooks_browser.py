"""In Chromium: an owner adds a webhook endpoint, sends it a test and sees the delivery in its log."""

import json

import pytest
from playwright.sync_api import expect

from tests.test_browser_journey import log_in, watch_console
from tests.test_webhooks import Receiver, signed_by

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_adds_an_endpoint_sends_a_test_and_reads_the_log(
    browser_page, live_server, celery_worker, org_a, org_b, alice, screenshot
):
    receiver = Receiver()
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/settings/")
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="No webhook endpoints yet")).to_be_visible()
    page.get_by_label("URL").fill(receiver.url("/roster"))
    page.get_by_label("Description").fill("Mailing list sync")
    page.get_by_label("Customer created").check()
    page.get_by_label("Tag added to a customer").check()
    page.get_by_role("button", name="Add endpoint").click()
    secret = page.get_by_label("Signing secret").input_value()
    assert secret.startswith("whsec_")
    page.get_by_role("link", name="Done").click()

    expect(page.get_by_text("No deliveries yet")).to_be_visible()
    page.get_by_role("button", name="Send test").click()
    expect(page.get_by_role("status").filter(has_text="on its way")).to_be_visible()
    (request,) = receiver.wait_for(1)
    assert json.loads(request["body"])["type"] == "ping" and signed_by(secret, request)
    row = page.locator("tr.webhook-delivery").first
    for _ in range(50):  # the worker records the answer just after the receiver has it
        page.reload()
        if "Delivered" in row.inner_text():
            break
        page.wait_for_timeout(200)
    expect(row).to_contain_text("ping")
    expect(row).to_contain_text("Delivered")
    expect(row).to_contain_text("200")
    page.get_by_text("Tries, request and response").click()
    expect(page.locator(".webhook-response")).to_contain_text('{"received": true}')
    screenshot(page, "95-webhook-delivery-log")
    assert errors == []
    receiver.server.shutdown()
