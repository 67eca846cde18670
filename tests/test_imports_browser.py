"""In Chromium, with a real worker: upload a messy CSV → fix a column's mapping → see the dry run's errors →
download them as CSV → run with progress → read the report → open the imported customers on the roster."""

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from accounts.tenancy import tenant
from customers.models import Customer, FieldType
from tests.custom_field_helpers import make_field
from tests.factories import customer
from tests.test_browser_journey import log_in, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FILE = (
    "First Name,Last Name,E-mail,Mobile,DOB,Shirt,Tags,Comments\n"
    'Ana,García,ana@example.com,(555) 201-0001,03/14/2015,M,"Soccer, VIP",Allergic to nuts\n'
    "Ben,Okafor,ben@example.com,555 201 0002,07/01/2012,L,,\n"
    "Cleo,Park,cleo@example,555 201 0003,31/31/2010,XXL,,\n"
    '=HYPERLINK("http://evil"),Smith,smith@example.com,,,S,,\n'
)


def test_upload_map_dry_run_errors_run_and_report(
    browser_page, live_server, celery_worker, org_a, org_b, tmp_path, screenshot
):
    with tenant(org_a):
        make_field("T-shirt size", FieldType.CHOICE, options=["S", "M", "L"])
        customer(first_name="Ben", last_name="Okafor", email="ben@example.com")
    with tenant(org_b):
        customer(first_name="Ana", last_name="Other", email="ana@example.com")
    path = tmp_path / "from-old-system.csv"
    path.write_text(FILE, encoding="utf-8")
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/imports/")
    expect(page.get_by_text("No imports yet")).to_be_visible()
    page.get_by_label("Customer list").set_input_files(path)
    page.get_by_role("button", name="Upload and read").click()

    expect(page.get_by_role("heading", name="Match the columns")).to_be_visible(timeout=30_000)
    expect(page.get_by_label("E-mail", exact=True)).to_have_value("email")
    expect(page.get_by_label("Shirt")).to_have_value("")  # nothing says it is the T-shirt size
    page.get_by_label("Shirt").select_option(label="T-shirt size")
    page.get_by_label("Dates in this file are").select_option("mdy")
    screenshot(page, "60-import-mapping")
    page.get_by_role("button", name="Check the file (dry run)").click()

    expect(page.get_by_role("heading", name="Dry run")).to_be_visible(timeout=30_000)
    counts = page.locator(".import-counts")
    expect(counts).to_contain_text(re.compile(r"2\s*to add"))
    expect(counts).to_contain_text(re.compile(r"1\s*to update"))
    table = page.locator(".import-errors")
    expect(table).to_contain_text("“cleo@example” is not an email address.")
    expect(table).to_contain_text("“XXL” is not an option of T-shirt size (S, M, L).")
    screenshot(page, "61-import-dry-run")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download rows with errors (CSV)").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert rows[0][-1] == "Errors" and rows[1][0] == "Cleo" and "not an email address" in rows[1][-1]

    page.get_by_role("button", name="Run import, skipping 1 row with errors").click()
    expect(page.get_by_role("heading", name="Report")).to_be_visible(timeout=30_000)
    expect(page.locator(".import-counts")).to_contain_text(re.compile(r"2\s*added"))
    screenshot(page, "62-import-report")
    page.get_by_role("link", name="See the imported customers").click()
    expect(page.locator("#results")).to_contain_text("García")
    expect(page.locator("#results")).to_contain_text("Okafor")
    screenshot(page, "63-imported-customers")
    with tenant(org_a):
        hyperlink = Customer.objects.get(email="smith@example.com")
        assert hyperlink.first_name.startswith("=HYPERLINK")  # stored as text; exports neutralize it
    with tenant(org_b):
        assert Customer.objects.get(email="ana@example.com").last_name == "Other"
    assert errors == []
