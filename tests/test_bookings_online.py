"""Parties booked online: the guardian books and pays the deposit, adds a child on the way, lets an unpaid
hold lapse, cancels inside the window, reads their bookings, and signs the party's waiver first."""

import datetime

from accounts.tenancy import tenant
from billing import card_services
from billing.models import Checkout, Purchase, Visibility
from bookings import class_services, selectors, services
from bookings.models import Booking, BookingStatus, Course
from customers.models import Activity
from tests.booking_helpers import (
    at,
    book_at_desk,
    hold_online,
    next_saturday,
    one_session,
    play_area_waiver,
)
from tests.conftest import logged_in
from tests.factories import customer
from tests.store_helpers import pay_by_card
from tests.waiver_helpers import signature_png
from waivers.selectors import missing_waivers
from waivers.services import waiver_sign


def test_a_guardian_books_online_pays_the_deposit_and_the_party_is_confirmed(client, org_a, party_world):
    saturday = next_saturday(2)
    details = (
        f"/{org_a.slug}/book/{party_world['jungle_party'].pk}/details/"
        f"?start={saturday:%Y-%m-%d}T11:00&room={party_world['jungle'].pk}&guests=12"
    )
    # A visitor: log in or create an account under the Online Booking rules, and come back.
    anonymous = client.get(details).text
    assert "/signup/booking/?next=" in anonymous and "Log in" in anonymous
    pat = logged_in(party_world["pat"].user)
    listing = pat.get(
        f"/{org_a.slug}/book/{party_world['jungle_party'].pk}/?month={saturday:%Y-%m}&date={saturday}"
    )
    assert "Book 11:00 in Jungle room" in listing.text
    page = pat.get(details).text
    assert "Me (Pat Parent)" in page and "Kim Parent" in page and "A child not listed yet" in page
    too_many = pat.post(details, {"for_whom": party_world["kim"].pk, "guests": 40})
    assert too_many.status_code == 422 and "up to 15 guests" in too_many.text
    response = pat.post(details, {"for_whom": party_world["kim"].pk, "guests": 12, "note": "Nut allergy"})
    with tenant(org_a):
        booking = Booking.objects.get()
        checkout = Checkout.objects.get()
        assert booking.status == BookingStatus.HELD and booking.checkout == checkout
        assert checkout.amount == 10000 and checkout.package.visibility == Visibility.BOOKING
        # Held while paying: nobody else is offered the slot.
        assert party_world["jungle"] not in {
            room
            for slot in selectors.free_slots(party_world["jungle_party"], saturday)
            for room in slot.rooms
            if slot.starts_at == at(saturday, 11)
        }
    assert response["Location"] == f"/{org_a.slug}/store/checkout/{checkout.pk}/pay/"
    with tenant(org_a):
        pay_by_card(checkout)
        card_services.store_checkout_complete(checkout=checkout)
        booking.refresh_from_db()
        assert (
            booking.status == BookingStatus.CONFIRMED and booking.deposit_purchase == Purchase.objects.get()
        )
        assert Activity.objects.filter(customer=party_world["kim"], kind="booking.created").count() == 1
        assert (
            "deposit $100.00 paid"
            in Activity.objects.get(customer=party_world["pat"], kind="booking.created").detail
        )
    # The receipt sends the payer to their party's page.
    receipt = pat.get(f"/{org_a.slug}/store/checkout/{checkout.pk}/")
    assert receipt["Location"] == f"/{org_a.slug}/book/mine/{booking.pk}/"
    party = pat.get(receipt["Location"]).text
    assert "Your party is booked" in party and "Jungle room" in party and "$100.00 deposit paid" in party
    assert "Kim Parent" in pat.get(f"/{org_a.slug}/book/mine/").text
    ics = pat.get(f"/{org_a.slug}/book/mine/{booking.pk}/party.ics")
    assert ics["Content-Type"] == "text/calendar" and b"SUMMARY:Jungle party for Kim Parent" in ics.content


def test_a_new_child_is_added_to_the_family_while_booking(org_a, party_world):
    saturday = next_saturday(2)
    pat = logged_in(party_world["pat"].user)
    details = (
        f"/{org_a.slug}/book/{party_world['jungle_party'].pk}/details/"
        f"?start={saturday:%Y-%m-%d}T15:00&room={party_world['space'].pk}"
    )
    missing = pat.post(details, {"for_whom": 0, "guests": 8, "child-first_name": "Ada"})
    assert missing.status_code == 422 and "This field is required" in missing.text
    response = pat.post(
        details,
        {
            "for_whom": 0,
            "guests": 8,
            "child-first_name": "Ada",
            "child-last_name": "Parent",
            "child-birthday": "2019-03-02",
        },
    )
    assert response.status_code == 302
    with tenant(org_a):
        booking = Booking.objects.get()
        assert booking.customer.full_name == "Ada Parent" and booking.booked_by == party_world["pat"]


def test_a_hold_not_paid_in_time_gives_its_slot_back(org_a, party_world, alice):
    saturday = next_saturday()
    with tenant(org_a):
        held = hold_online(party_world, saturday)
        Booking.objects.filter(pk=held.pk).update(held_until=at(saturday, 0).replace(year=2000))
        assert any(
            party_world["jungle"] in slot.rooms
            for slot in selectors.free_slots(party_world["jungle_party"], saturday)
            if slot.starts_at == at(saturday, 10)
        )
        book_at_desk(party_world, alice, 10)
        held.refresh_from_db()
        assert held.status == BookingStatus.EXPIRED


def test_customers_cancel_only_inside_the_window_and_only_their_own(org_a, party_world, alice):
    with tenant(org_a):
        soon = book_at_desk(party_world, alice, 10, day=next_saturday())
        later = book_at_desk(party_world, alice, 10, day=next_saturday(3))
        stranger = customer(first_name="Sam", last_name="Stranger", by=alice)
        theirs = book_at_desk(party_world, alice, 15, customer=stranger, booked_by=stranger)
        services.booking_settings_save(rules=selectors.booking_settings(), hours={}, by=alice)
        rules = selectors.booking_settings()
        rules.cancel_hours = 24 * 10
        rules.save()
    pat = logged_in(party_world["pat"].user)
    assert pat.get(f"/{org_a.slug}/book/mine/{theirs.pk}/").status_code == 404
    assert pat.post(f"/{org_a.slug}/book/mine/{theirs.pk}/cancel/").status_code == 404
    pat.post(f"/{org_a.slug}/book/mine/{soon.pk}/cancel/")
    pat.post(f"/{org_a.slug}/book/mine/{later.pk}/cancel/")
    with tenant(org_a):
        assert Booking.objects.get(pk=soon.pk).status == BookingStatus.CONFIRMED
        assert Booking.objects.get(pk=later.pk).status == BookingStatus.CANCELLED


def test_the_bookings_tab_and_my_bookings_show_class_registrations_too(
    alice_client, org_a, party_world, alice
):
    saturday = next_saturday()
    with tenant(org_a):
        course = class_services.course_save(
            course=Course(name="Toddler tumble", capacity=5), passes=[], by=alice
        )
        session = one_session(course, saturday, datetime.time(9), by=alice)
        class_services.registration_create(
            session=session, customer=party_world["kim"], paid_with="desk", by=alice
        )
    tab = alice_client.get(f"/app/{org_a.slug}/customers/{party_world['kim'].pk}/bookings/").text
    assert "Toddler tumble" in tab and "At the desk" in tab
    mine = logged_in(party_world["pat"].user).get(f"/{org_a.slug}/book/mine/").text
    assert "Toddler tumble" in mine and "Kim Parent" in mine


def test_a_party_that_needs_a_waiver_sends_the_guardian_to_sign_it_first_and_staff_see_it_missing(
    alice_client, org_a, party_world, alice
):
    saturday = next_saturday(2)
    with tenant(org_a):
        waiver = play_area_waiver(alice)
        services.party_package_save(
            package=party_world["jungle_party"],
            rooms=[party_world["jungle"], party_world["space"]],
            waivers=[waiver],
            by=alice,
        )
    pat = logged_in(party_world["pat"].user)
    details = (
        f"/{org_a.slug}/book/{party_world['jungle_party'].pk}/details/"
        f"?start={saturday:%Y-%m-%d}T11:00&room={party_world['jungle'].pk}"
    )
    assert "“Play area waiver” signed for the child" in pat.get(details).text
    response = pat.post(details, {"for_whom": party_world["kim"].pk, "guests": 8})
    assert response.status_code == 302
    assert response["Location"].startswith(f"/{org_a.slug}/waivers/{waiver.pk}/sign/?next=")
    with tenant(org_a):
        assert not Booking.objects.exists()
        waiver_sign(
            template=waiver,
            version=waiver.current_version,
            signer=party_world["pat"],
            people=[party_world["kim"]],
            typed_name="Pat Parent",
            signature_png=signature_png(),
            channel="online",
            ip="127.0.0.1",
        )
    assert pat.post(details, {"for_whom": party_world["kim"].pk, "guests": 8})["Location"].startswith(
        f"/{org_a.slug}/store/checkout/"
    )
    # At the desk: a party for someone without the waiver says so, and the waiver asks for it.
    with tenant(org_a):
        lee = customer(first_name="Lee", last_name="Unsigned", by=alice)
        party = book_at_desk(party_world, alice, 15, customer=lee, booked_by=lee)
        assert [template for template, _ in missing_waivers([lee.pk])[lee.pk]] == [waiver]
        assert missing_waivers([party_world["kim"].pk]) == {}
    page = alice_client.get(f"/app/{org_a.slug}/bookings/{party.pk}/").text
    assert "Waiver missing:" in page and "Play area waiver" in page
