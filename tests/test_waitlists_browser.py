"""In Chromium, with a real worker and SMTP server: a full class gets a waitlist (two customers join in the
store), a staff refund frees a spot, the first in line gets the offer email and lets it expire (its hold's
time moved into the past, then the beat's sweep), the second gets the offer, accepts and pays by card;
staff see the line and its history, customers their place in the portal."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tenancy import tenant
from billing import account_services, services
from billing.models import Package, SpotHold
from invites.models import EntryStatus, WaitlistEntry
from invites.tasks import waitlists_sweep
from tests.factories import customer
from tests.inbox import email_text, emailed_path
from tests.store_helpers import ALPHA_KEYS, with_login
from tests.test_browser_journey import log_in, watch_console
from tests.test_store_browser import type_card

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _join(browser, base_url: str, org_slug: str, email: str):
    page = browser.new_context().new_page()
    log_in(page, base_url, email)
    page.goto(f"{base_url}/{org_slug}/store/")
    expect(page.locator(".store-packages")).to_contain_text("Sold out")
    page.get_by_role("link", name="Join the waitlist for Pottery class").click()
    page.get_by_label(re.compile("^Me ")).check()
    page.get_by_role("button", name="Join the waitlist").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("My waitlists")
    return page


def test_a_freed_spot_goes_down_the_line_until_someone_buys_it(
    browser, browser_page, live_server, celery_worker, smtp_server, org_a, alice, screenshot
):
    with tenant(org_a):
        account_services.payment_account_connect(**ALPHA_KEYS, by=alice)
        pottery = services.package_save(
            package=Package(name="Pottery class", price=4000, currency="USD", capacity=1), by=alice
        )
        dana = customer(first_name="Dana", last_name="Desk", by=alice)
        services.sale_record(package=pottery, customer=dana, payer=dana, method="cash", by=alice)
        for first, email in (("Ann", "ann.wait@example.com"), ("Ben", "ben.wait@example.com")):
            with_login(customer(first_name=first, last_name="Waiting", email=email, by=alice))
    base = live_server.url
    ann = _join(browser, base, org_a.slug, "ann.wait@example.com")
    expect(ann.locator(".portal-waitlists tbody tr")).to_contain_text("1 (next)")
    ben = _join(browser, base, org_a.slug, "ben.wait@example.com")
    ben_errors = watch_console(ben)
    expect(ben.locator(".portal-waitlists tbody tr")).to_contain_text("2")
    screenshot(ben, "waitlist-portal-waiting")

    staff = browser_page
    staff_errors = watch_console(staff)
    log_in(staff, base, "alice@alpha.example")
    staff.goto(f"{base}/app/{org_a.slug}/settings/packages/")
    staff.get_by_role("link", name="Waitlist of Pottery class: 2 in line").click()
    expect(staff.locator(".waitlist-line tbody tr").first).to_contain_text("Ann Waiting")
    screenshot(staff, "waitlist-staff-line")
    staff.goto(f"{base}/app/{org_a.slug}/customers/{dana.pk}/payments/")
    staff.get_by_role("link", name="Refund Pottery class").click()
    staff.get_by_label("Amount").fill("40.00")
    staff.get_by_label("Reason").fill("Dana moved away")
    staff.get_by_role("button", name="Refund", exact=True).click()
    expect(staff.get_by_text("Refund recorded.")).to_be_visible()

    offer_to_ann = smtp_server.wait_for("ann.wait@example.com", subject="is held for Ann")
    assert "Pottery class" in email_text(offer_to_ann)
    ann_link = emailed_path(offer_to_ann, rf"/{org_a.slug}/waitlist/offer/[\w-]+/")
    ann.goto(base + ann_link)
    expect(ann.get_by_role("heading", level=1)).to_contain_text("held for Ann")
    with tenant(org_a):  # Ann lets the hold run out
        SpotHold.objects.filter(customer__first_name="Ann").update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
    waitlists_sweep()
    ann.goto(base + ann_link)
    expect(ann.get_by_role("heading", level=1)).to_contain_text("This offer has expired")

    offer_to_ben = smtp_server.wait_for("ben.wait@example.com", subject="is held for Ben")
    ben.goto(f"{base}/{org_a.slug}/account/waitlists/")
    expect(ben.locator(".portal-waitlists")).to_contain_text("A spot is held")
    screenshot(ben, "waitlist-portal-offer")
    ben.goto(base + emailed_path(offer_to_ben, rf"/{org_a.slug}/waitlist/offer/[\w-]+/"))
    expect(ben.locator(".waitlist-offer")).to_contain_text("Ben Waiting")
    screenshot(ben, "waitlist-offer")
    ben.get_by_role("button", name="Accept and pay").click()
    expect(ben.get_by_role("heading", level=1)).to_contain_text("Pay for Pottery class")
    type_card(ben)
    ben.get_by_role("button", name="Pay $40.00").click()
    expect(ben.get_by_role("heading", level=1)).to_contain_text("Thank you")

    with tenant(org_a):
        statuses = dict(WaitlistEntry.objects.values_list("customer__first_name", "status"))
        assert statuses == {"Ann": EntryStatus.EXPIRED, "Ben": EntryStatus.BOUGHT}
    staff.goto(f"{base}/app/{org_a.slug}/waitlists/{pottery.pk}/")
    expect(staff.locator(".waitlist-done")).to_contain_text("Offer expired")
    expect(staff.locator(".waitlist-history")).to_contain_text("Bought")
    screenshot(staff, "waitlist-staff")
    assert ben_errors == [] and staff_errors == []
