"""In Chromium: an admin exports a person's data and downloads the ZIP, then erases them and searches the
roster for their name, email and phone: nothing."""

import json
import zipfile

import pytest
from playwright.sync_api import expect

from accounts.tenancy import tenant
from notes import services as note_services
from notes.models import Visibility
from tests.factories import customer
from tests.test_browser_journey import log_in, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_exports_a_person_then_erases_them_and_the_roster_no_longer_finds_them(
    browser_page, live_server, celery_worker, org_a, org_b, alice, screenshot
):
    with tenant(org_a):
        person = customer(
            first_name="Wilhelmina", last_name="Strand", email="w.strand@example.com", phone="312 555 0142"
        )
        note_services.note_add(
            customer=person, text="Prefers mornings", visibility=Visibility.STAFF, pinned=False, by=alice
        )
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/{person.pk}/")
    page.get_by_role("tab", name="Privacy").click()
    expect(page.get_by_text("No exports yet")).to_be_visible()
    page.get_by_label("Include notes").check()
    page.get_by_role("button", name="Export").click()
    download_link = page.get_by_role("link", name="Download ZIP")
    expect(download_link).to_be_visible(timeout=30_000)  # the worker builds it; the tab polls
    screenshot(page, "96-privacy-export-ready")
    with page.expect_download() as download:
        download_link.click()
    archive = zipfile.ZipFile(download.value.path())
    assert json.loads(archive.read("profile.json"))[0]["last_name"] == "Strand"
    assert json.loads(archive.read("notes.json"))[0]["text"] == "Prefers mornings"
    assert "README.txt" in archive.namelist()

    page.get_by_role("link", name="Erase…").click()
    expect(page.get_by_role("heading", name="Erase Wilhelmina Strand?")).to_be_visible()
    expect(page.locator("tr.erase-line").filter(has_text="Notes")).to_contain_text("Erased")
    page.get_by_label("Type their full name to confirm").fill("Wilhelmina Strand")
    page.get_by_role("button", name="Erase for good").click()
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    expect(page.locator("tr.privacy-erasure")).to_have_count(1)

    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/?status=all")
    search = page.get_by_placeholder("Search name, email, phone or customer number — press / to focus")
    for query in ("Wilhelmina", "w.strand@example.com", "555 0142"):
        search.fill(query)
        expect(page.get_by_text(f"No customers match “{query}”")).to_be_visible()
        expect(page.locator("main")).not_to_contain_text("Strand")
    screenshot(page, "97-privacy-erased-search")
    assert errors == []
