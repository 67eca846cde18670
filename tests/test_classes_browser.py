"""In Chromium: a parent registers their child for a class in the portal with the child's class pass, staff
see her on the session, check her in (htmx), and her pass shows one visit used."""

import re
from datetime import date, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tenancy import tenant
from billing import services
from billing.models import Package, PackageKind, PunchCard
from bookings import class_services
from bookings.models import Course
from families.services import link_add
from tests.factories import customer
from tests.store_helpers import with_login
from tests.test_browser_journey import log_in, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_parent_registers_a_child_with_her_pass_and_staff_check_her_in(
    browser, browser_page, live_server, org_a, alice, carol, screenshot
):
    with tenant(org_a):
        ten = services.package_save(
            package=Package(
                name="Ten classes", kind=PackageKind.CLASS_PASS, visits=10, price=9000, currency="USD"
            ),
            by=alice,
        )
        course = class_services.course_save(
            course=Course(
                name="Ninja warriors",
                description="Obstacles and climbing.",
                instructor="Marco",
                capacity=8,
                min_age=6,
                max_age=12,
            ),
            passes=[ten],
            by=alice,
        )
        first = timezone.localdate() + timedelta(days=3)
        class_services.sessions_schedule(
            course=course,
            weekdays=[first.weekday()],
            starts=time(16, 30),
            minutes=60,
            first_date=first,
            weeks=4,
            by=alice,
        )
        pat = with_login(customer(first_name="Pat", last_name="Parent", email="pat@alpha.example", by=alice))
        today = date.today()
        mia = customer(
            first_name="Mia", last_name="Parent", birthday=today.replace(year=today.year - 8, day=1), by=alice
        )
        link_add(guardian=pat, dependant=mia, relationship="parent", by=alice)
        services.sale_record(package=ten, customer=mia, payer=pat, method="cash", by=alice)
        card = PunchCard.objects.get()
    base = live_server.url

    parent = browser.new_context().new_page()
    parent_errors = watch_console(parent)
    log_in(parent, base, "pat@alpha.example")
    parent.goto(f"{base}/{org_a.slug}/classes/")
    expect(parent.get_by_role("heading", name="Ninja warriors")).to_be_visible()
    parent.get_by_role("link", name=re.compile("^Register for Ninja warriors")).first.click()
    parent.get_by_label("Who is coming").select_option(label="Mia Parent")
    expect(parent.locator(".portal-passes")).to_contain_text("Mia: Ten classes (10 of 10 left)")
    parent.get_by_label("A class pass").check()
    screenshot(parent, "classes-portal-register")
    parent.get_by_role("button", name="Register").click()
    expect(parent.get_by_text("Mia is registered for “Ninja warriors”.")).to_be_visible()
    expect(parent.locator(".my-registrations tbody tr")).to_contain_text("Mia Parent")
    expect(parent.locator(".portal-sessions").first).to_contain_text("Mia registered")
    screenshot(parent, "classes-portal")

    staff = browser_page
    staff_errors = watch_console(staff)
    log_in(staff, base, "carol@alpha.example")
    staff.goto(f"{base}/app/{org_a.slug}/classes/")
    expect(staff.locator(".class-day").first).to_contain_text("1 / 8")
    screenshot(staff, "classes-staff-days")
    staff.get_by_role("link", name="Ninja warriors").first.click()
    row = staff.locator(".registrants tbody tr", has_text="Mia Parent")
    expect(row).to_contain_text("Ten classes · 10 of 10 left")
    staff.get_by_role("button", name="Check in Mia Parent").click()
    expect(row).to_contain_text("9 of 10 left")
    expect(staff.get_by_role("button", name="Check in Mia Parent")).to_have_count(0)
    screenshot(staff, "classes-staff-session")
    staff.goto(f"{base}/app/{org_a.slug}/customers/{mia.pk}/")
    expect(staff.get_by_text("9 of 10 left")).to_be_visible()
    with tenant(org_a):
        assert PunchCard.objects.get(pk=card.pk).used == 1

    admin = browser.new_context().new_page()  # Settings → Classes, as the owner sees it
    log_in(admin, base, "alice@alpha.example")
    admin.goto(f"{base}/app/{org_a.slug}/settings/classes/")
    admin.get_by_role("link", name="Ninja warriors", exact=True).click()
    expect(admin.locator(".course-sessions tbody tr").first).to_contain_text("1 / 8")
    screenshot(admin, "classes-settings-course")
    admin.get_by_role("link", name="Edit class").click()
    expect(admin.get_by_label("Ten classes")).to_be_checked()
    screenshot(admin, "classes-settings-edit")
    assert parent_errors == [] and staff_errors == [], parent_errors + staff_errors
