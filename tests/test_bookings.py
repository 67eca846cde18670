"""Parties at the desk: free slots, the database's guard against double booking, staff's bookings (move,
cancel, check in, book from the profile), rooms and parties set up, the confirmation email and the tenant wall
around them. What customers do online is in tests/test_bookings_online.py."""

import threading
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tenancy import tenant
from billing import card_services
from billing.models import Payment
from bookings import selectors, services
from bookings.models import Booking, BookingStatus
from customers.models import Activity
from tests.booking_helpers import (
    at,
    book_at_desk,
    hold_online,
    next_saturday,
    play_area_waiver,
)
from tests.factories import customer
from tests.inbox import email_text
from tests.store_helpers import pay_by_card


def test_free_slots_follow_hours_buffer_bookings_and_closed_days(org_a, party_world, alice):
    saturday = next_saturday()
    with tenant(org_a):
        slots = selectors.free_slots(party_world["jungle_party"], saturday)
        # 09:00 to 18:00 every 30 minutes: the party's two hours end by closing at 20:00.
        assert [f"{slot.starts_at:%H:%M}" for slot in slots][:3] == ["09:00", "09:30", "10:00"]
        assert f"{slots[-1].starts_at.astimezone(at(saturday, 0).tzinfo):%H:%M}" == "18:00"
        book_at_desk(party_world, alice, 12)
        by_time = {
            f"{slot.starts_at.astimezone(at(saturday, 0).tzinfo):%H:%M}": slot.rooms
            for slot in selectors.free_slots(party_world["jungle_party"], saturday)
        }
        # 12:00–14:00 and 30 minutes to clean: the jungle room is free again at 14:30; a party before must
        # be over and cleaned up by 12:00.
        assert party_world["jungle"] not in by_time["10:00"] and party_world["jungle"] in by_time["09:30"]
        assert party_world["jungle"] not in by_time["14:00"] and party_world["jungle"] in by_time["14:30"]
        assert party_world["space"] in by_time["12:00"]
        # More guests than the space station fits: only the jungle room is offered.
        big = selectors.free_slots(party_world["jungle_party"], saturday, guests=14)
        assert all(party_world["space"] not in slot.rooms for slot in big)
        services.blackout_set(date=saturday, reason="Holiday", closed=True, by=alice)
        assert selectors.free_slots(party_world["jungle_party"], saturday) == []
        month = selectors.free_slots_between(party_world["jungle_party"], saturday, saturday.replace(day=28))
        assert saturday not in month


def test_the_database_refuses_a_double_booking_and_staff_hear_why(org_a, party_world, alice):
    with tenant(org_a):
        book_at_desk(party_world, alice, 12)
        with pytest.raises(services.BookingError, match="Jungle room is taken"):
            book_at_desk(party_world, alice, 13)
        with pytest.raises(services.BookingError, match="1 to 12 guests"):
            book_at_desk(party_world, alice, 12, room="space", guests=14)
        book_at_desk(party_world, alice, 12, room="space")
        assert Booking.objects.filter(status=BookingStatus.CONFIRMED).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_visitors_racing_for_the_last_slot_get_one_booking(org_a, party_world, alice):
    results, start = [], threading.Barrier(2)
    with tenant(org_a):
        lee = customer(first_name="Lee", last_name="Racer", email="lee@alpha.example", by=alice)

    def book(person):
        try:
            start.wait()
            with tenant(org_a):
                book_at_desk(party_world, alice, 15, customer=person, booked_by=person)
            results.append("booked")
        except services.BookingError as refusal:
            results.append(str(refusal).split(" at ")[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(person,)) for person in (party_world["pat"], lee)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["Jungle room is taken", "booked"]
    with tenant(org_a):
        assert Booking.objects.count() == 1


def test_staff_move_check_in_and_cancel_with_a_refund(alice_client, carol_client, org_a, party_world, alice):
    saturday = next_saturday()
    with tenant(org_a):
        booking = hold_online(party_world, saturday)
        pay_by_card(booking.checkout)
        card_services.store_checkout_complete(checkout=booking.checkout)
        book_at_desk(party_world, alice, 16)
    base = f"/app/{org_a.slug}/bookings/{booking.pk}"
    taken = alice_client.post(
        f"{base}/move/", {"room": party_world["jungle"].pk, "date": saturday, "time": "16:30"}
    )
    assert taken.status_code == 422 and "Jungle room is taken" in taken.text
    moved = alice_client.post(
        f"{base}/move/", {"room": party_world["space"].pk, "date": saturday, "time": "13:00"}
    )
    assert moved.status_code == 302
    page = alice_client.get(f"{base}/").text
    assert "Space station" in page and "13:00–15:00" in page
    checked = alice_client.post(f"{base}/check-in/", {"guests_arrived": 6})
    assert checked.status_code == 302
    # Staff without the refund permission may not refund; an admin may.
    refused = carol_client.post(f"{base}/cancel/", {"reason": "Sick", "deposit": "refund"})
    assert refused.status_code == 422 and "refund permission" in refused.text
    assert alice_client.post(f"{base}/cancel/", {"reason": "", "deposit": "refund"}).status_code == 422
    assert (
        alice_client.post(f"{base}/cancel/", {"reason": "Kim is sick", "deposit": "refund"}).status_code
        == 302
    )
    with tenant(org_a):
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CANCELLED and booking.guests_arrived == 6
        assert Payment.objects.get(purchase=booking.deposit_purchase).refunded == 10000
        kinds = list(Activity.objects.filter(customer=party_world["kim"]).values_list("kind", flat=True))
        for kind in ("booking.created", "booking.changed", "booking.checked_in", "booking.cancelled"):
            assert kind in kinds
    week = alice_client.get(f"/app/{org_a.slug}/bookings/?view=week&date={saturday}").text
    assert "Kim Parent" in week and "Cancelled" in week


def test_staff_book_from_the_profile_and_see_it_on_the_calendar_and_the_tab(alice_client, org_a, party_world):
    saturday = next_saturday()
    tab = f"/app/{org_a.slug}/customers/{party_world['kim'].pk}/bookings/"
    assert "No upcoming parties" in alice_client.get(tab).text
    assert "Booked and paid by" in alice_client.get(f"{tab}?book=1").text
    fields = {
        "booking-package": party_world["jungle_party"].pk,
        "booking-room": party_world["jungle"].pk,
        "booking-date": saturday,
        "booking-time": "19:00",
        "booking-guests": 9,
        "booking-booked_by": party_world["pat"].pk,
    }
    assert alice_client.post(f"{tab}new/", fields | {"booking-guests": 99}).status_code == 422
    response = alice_client.post(f"{tab}new/", fields)
    assert response.status_code == 302
    assert "Jungle party" in alice_client.get(tab).text
    day = alice_client.get(f"/app/{org_a.slug}/bookings/?date={saturday}").text
    assert "Kim Parent" in day and "19:00–21:00" in day


def test_admins_set_up_rooms_and_parties_and_bad_input_is_refused(
    alice_client, carol_client, org_a, party_world
):
    base = f"/app/{org_a.slug}/settings/booking/"
    assert carol_client.get(base).status_code == 403
    page = alice_client.get(base).text
    assert "Jungle room" in page and "Jungle party" in page and "$100.00" in page
    assert alice_client.post(f"{base}rooms/new/", {"name": "jungle ROOM", "guests": 5}).status_code == 422
    bad = alice_client.post(
        f"{base}parties/new/",
        {"name": "Tiny", "minutes": 60, "max_guests": 5, "price_amount": "50", "deposit_amount": "80"},
    )
    assert bad.status_code == 422 and "more than the price" in bad.text and "at least one room" in bad.text
    created = alice_client.post(
        f"{base}parties/new/",
        {
            "name": "Tiny",
            "minutes": 60,
            "max_guests": 5,
            "price_amount": "50",
            "deposit_amount": "0",
            "rooms": [party_world["space"].pk],
        },
    )
    assert created.status_code == 302
    closed = alice_client.post(
        base,
        {
            "slot_minutes": 30,
            "buffer_minutes": 0,
            "hold_minutes": 15,
            "days_ahead": 90,
            "cancel_hours": 24,
            "opens_0": "10:00",
        },
    )
    assert closed.status_code == 422 and "opening time before its closing time" in closed.text
    # Deposits are the bookings app's: kept out of Settings → Packages and the desk.
    packages = alice_client.get(f"/app/{org_a.slug}/settings/packages/").text
    assert "Deposit: Jungle party" not in packages


def test_another_organization_never_reaches_a_booking(bob_client, org_a, org_b, party_world, alice):
    with tenant(org_a):
        booking = book_at_desk(party_world, alice, 11)
    for url in (
        f"/app/{org_a.slug}/bookings/{booking.pk}/",
        f"/app/{org_b.slug}/bookings/{booking.pk}/",
        f"/app/{org_b.slug}/customers/{party_world['kim'].pk}/bookings/",
    ):
        assert bob_client.get(url).status_code in (403, 404)
    assert (
        bob_client.post(f"/app/{org_b.slug}/bookings/{booking.pk}/cancel/", {"reason": "x"}).status_code
        == 404
    )
    assert bob_client.get(f"/{org_b.slug}/book/{party_world['jungle_party'].pk}/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_confirmation_email_carries_the_party_and_a_calendar_file(
    celery_worker, smtp_server, org_a, party_world, alice
):
    unique = uuid.uuid4().hex[:6]
    with tenant(org_a):
        mona = customer(first_name="Mona", last_name="Mum", email=f"mona-{unique}@alpha.example", by=alice)
        book_at_desk(party_world, alice, 17, booked_by=mona)
    message = smtp_server.wait_for(f"mona-{unique}@alpha.example", subject="is booked")
    assert "Jungle party for Kim Parent" in email_text(message) and "Jungle room, 10 guests" in email_text(
        message
    )
    attachment = next(part for part in message.walk() if part.get_content_type() == "text/calendar")
    assert attachment.get_filename() == "party.ics" and b"BEGIN:VEVENT" in attachment.get_payload(decode=True)


def test_the_roster_reads_parties_and_classes_for_its_waiver_mark_only_once_a_waiver_is_linked(
    alice_client, org_a, party_world, alice
):
    with tenant(org_a):
        waiver = play_area_waiver(alice)
        lee = customer(first_name="Lee", last_name="Unsigned", by=alice)
        book_at_desk(party_world, alice, 15, customer=lee, booked_by=lee)
    roster = f"/app/{org_a.slug}/customers/"

    def page_and_tables():
        with CaptureQueriesContext(connection) as queries:
            text = alice_client.get(roster, {"q": "unsigned"}).text
        return text, {
            table
            for table in ("bookings_booking", "bookings_registration")
            if table in str(queries.captured_queries)
        }

    alice_client.get(roster)  # the answer "no waiver linked" is kept from here on
    page, tables = page_and_tables()
    assert "Unsigned, Lee" in page and "missing waiver" not in page and tables == set()
    rooms = [party_world["jungle"], party_world["space"]]
    with tenant(org_a):
        services.party_package_save(
            package=party_world["jungle_party"], rooms=rooms, waivers=[waiver], by=alice
        )
    page, tables = page_and_tables()  # at once: linking forgot the kept answer
    assert "missing waiver" in page and "Play area waiver" in page
    assert tables == {"bookings_booking", "bookings_registration"}
    with tenant(org_a):
        services.party_package_save(package=party_world["jungle_party"], rooms=rooms, waivers=[], by=alice)
    page, tables = page_and_tables()
    assert "missing waiver" not in page and tables == set()
