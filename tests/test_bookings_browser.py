"""In Chromium, against the Stripe emulator: a visitor books a party online for their child — an account
made under the Online Booking rules, a free time chosen on the calendar, the deposit paid by card — and
finds it in their bookings; staff see it on the calendar and the child's profile, move it and check the
guests in."""

import re

import pytest
from playwright.sync_api import expect

from accounts.tenancy import tenant
from bookings import services
from bookings.models import Booking
from customers.models import Customer
from tests.booking_helpers import next_saturday, open_party_room, play_area_waiver
from tests.conftest import PASSWORD
from tests.inbox import email_text, emailed_path
from tests.test_browser_journey import log_in, watch_console
from tests.test_store_browser import type_card
from tests.waiver_helpers import draw_signature
from waivers.models import WaiverSignature

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_books_a_party_for_their_child_and_staff_move_it_and_check_in(
    browser, browser_page, live_server, celery_worker, smtp_server, org_a, org_b, alice, bob, screenshot
):
    world = open_party_room(org_a, org_b, alice, bob)
    with tenant(org_a):
        waiver = play_area_waiver(alice, "Jumping is fun and has risks.")
        services.party_package_save(
            package=world["jungle_party"], rooms=[world["jungle"], world["space"]], waivers=[waiver], by=alice
        )
    saturday = next_saturday(2)
    visitor = browser.new_context().new_page()
    visitor_errors = watch_console(visitor)
    visitor.goto(f"{live_server.url}/{org_a.slug}/book/")
    visitor.get_by_role("link", name="Choose a date for Jungle party").click()
    if visitor.get_by_role("link", name=re.compile(saturday.strftime("%A, %B %-d"))).count() == 0:
        visitor.get_by_role("link", name="Next month").click()
    visitor.get_by_label("Guests").fill("14")
    visitor.get_by_role("button", name="Show free times").click()
    visitor.get_by_role("link", name=re.compile(saturday.strftime("%A, %B %-d"))).click()
    expect(visitor.locator(".free-slots")).not_to_contain_text("Space station")  # it fits 12
    screenshot(visitor, "110-book-slots")
    visitor.get_by_role("link", name="Book 11:00 in Jungle room").click()
    visitor.get_by_role("link", name=re.compile("Create an account")).click()
    visitor.get_by_label("First name", exact=True).fill("Bea")
    visitor.get_by_label("Last name", exact=True).fill("Booker")
    visitor.get_by_label("Email", exact=True).fill("bea.books@example.com")
    visitor.get_by_label("Phone").fill("(312) 555-0177")
    visitor.get_by_label("Password", exact=True).fill(PASSWORD)
    visitor.get_by_label("Password confirmation").fill(PASSWORD)
    visitor.get_by_label("Child's first name").first.fill("Bo")
    visitor.get_by_label("Child's birthday").first.fill("2019-06-07")
    visitor.get_by_role("button", name="Create account").click()
    path = emailed_path(
        smtp_server.wait_for("bea.books@example.com"), rf"/{org_a.slug}/signup/confirm/[\w-]+/"
    )
    visitor.goto(live_server.url + path)
    visitor.get_by_label("The password you chose").fill(PASSWORD)
    visitor.get_by_role("button", name="Confirm and sign in").click()

    expect(visitor).to_have_url(re.compile(rf"/{org_a.slug}/book/\d+/details/"))  # back where they were
    visitor.get_by_label("Bo Booker").check()
    visitor.get_by_label("How many guests?").fill("14")
    visitor.get_by_label("Anything we should know?").fill("Dinosaur cake")
    screenshot(visitor, "111-book-details")
    visitor.get_by_role("button", name="Continue to pay the $100.00 deposit").click()
    # The party needs the play area waiver, signed for Bo by his mother before paying.
    expect(visitor.get_by_role("heading", name="Play area waiver")).to_be_visible()
    visitor.get_by_label("Type your full name").fill("Bea Booker")
    draw_signature(visitor)
    visitor.get_by_label("I have read this waiver and agree to it.").check()
    screenshot(visitor, "111b-book-waiver")
    visitor.get_by_role("button", name="Sign the waiver").click()
    expect(visitor).to_have_url(re.compile(rf"/{org_a.slug}/book/\d+/details/"))
    visitor.get_by_label("Bo Booker").check()
    visitor.get_by_label("How many guests?").fill("14")
    visitor.get_by_label("Anything we should know?").fill("Dinosaur cake")
    visitor.get_by_role("button", name="Continue to pay the $100.00 deposit").click()
    type_card(visitor)
    visitor.get_by_role("button", name="Pay $100.00").click()
    expect(visitor.get_by_role("heading", level=1)).to_contain_text("Your party is booked")
    expect(visitor.locator(".booking-facts")).to_contain_text("Bo Booker")
    expect(visitor.locator(".booking-facts")).to_contain_text("$100.00 deposit paid")
    screenshot(visitor, "112-book-confirmed")
    assert "Jungle party for Bo Booker" in email_text(
        smtp_server.wait_for("bea.books@example.com", subject="is booked")
    )
    visitor.get_by_role("link", name="Bookings").click()
    expect(visitor.locator(".bookings-table")).to_contain_text("Jungle party")

    with tenant(org_a):
        bo = Customer.objects.get(first_name="Bo")
        bea = Customer.objects.get(email="bea.books@example.com")
        assert bea.source == "online_booking"
        booking = Booking.objects.get()
        assert WaiverSignature.objects.get(customer=bo).signer == bea
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/bookings/?view=week&date={saturday}")
    page.get_by_role("link", name=re.compile("Bo Booker")).click()
    expect(page.locator(".booking-facts")).to_contain_text("Dinosaur cake")
    page.get_by_text("Move to another time or room").click()
    page.get_by_label("Starts at").fill("14:00")
    page.get_by_role("button", name="Move the party").click()
    expect(page.get_by_text("The party is moved.")).to_be_visible()
    expect(page.locator(".booking-facts")).to_contain_text("14:00–16:00")
    page.get_by_label("Guests who came").fill("11")
    page.get_by_role("button", name="Check in").click()
    expect(page.locator(".booking-facts")).to_contain_text("11 came")
    screenshot(page, "113-booking-staff")
    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/{bo.pk}/bookings/")
    expect(page.locator(".bookings-table").first).to_contain_text("Jungle party")
    screenshot(page, "114-profile-bookings")
    with tenant(org_a):
        booking.refresh_from_db()
        assert booking.guests_arrived == 11 and booking.customer == bo and booking.booked_by == bea
    assert errors == [] and visitor_errors == []
