"""In Chromium: an owner opens Settings → Audit log, narrows it to one kind of change, and exports it."""

import pytest
from playwright.sync_api import expect

from accounts.audit import audit_record
from accounts.models import AuditAction
from accounts.tenancy import tenant
from customers.models import CustomerAudit
from tags.models import TagAudit
from tests.test_browser_journey import log_in, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_filters_the_audit_log_by_what_changed(
    browser_page, live_server, org_a, org_b, alice, bob, carol, screenshot
):
    with tenant(org_a):
        audit_record(
            action=AuditAction.STAFF_INVITED, by=alice, target="tom@alpha.example", detail="As Admin"
        )
        audit_record(
            action=AuditAction.ROLE_CHANGED,
            by=alice,
            target="carol@alpha.example",
            changes={"Role": ["Staff", "Admin"]},
        )
        audit_record(
            action=CustomerAudit.EXPORT_DOWNLOADED,
            by=carol,
            target="alpha-customers.csv",
            detail="3 customers, CSV",
        )
        audit_record(action=TagAudit.TAG_CREATED, by=alice, target="VIP <b>")
    with tenant(org_b):
        audit_record(action=TagAudit.TAG_CREATED, by=bob, target="Beta only")
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/settings/")
    page.get_by_role("link", name="Audit log").click()
    rows = page.locator("#audit-events tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("VIP <b>")
    expect(page.get_by_text("Beta only")).to_have_count(0)
    screenshot(page, "90-audit-log")

    page.get_by_label("What").select_option(label="Staff role changed")
    page.get_by_role("button", name="Show").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("carol@alpha.example")
    expect(rows.first).to_contain_text("Role: Staff → Admin")
    expect(page.get_by_role("status")).to_contain_text("1 change matches")
    screenshot(page, "91-audit-log-filtered")

    page.get_by_label("Who").select_option(label="Carol Castro (carol@alpha.example)")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="No changes match")).to_be_visible()

    page.get_by_role("link", name="Clear").click()
    expect(rows).to_have_count(4)
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    assert download.value.suggested_filename.startswith("alpha-audit-log-")
    assert errors == []
