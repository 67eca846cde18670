"""Bookings' pages at size: the staff calendar's week with 2,000 parties, a profile's Bookings tab for a
customer with 500, and the online booking page's free times for a month.

    .venv/bin/python bench/bookings.py            # a quick run (fewer bookings and requests)
    .venv/bin/python bench/bookings.py --full     # the issue's sizes

Starts its own embedded PostgreSQL and Redis. One organization (and another beside it with the same rows,
for row-level security to keep apart) gets 20 rooms, a party package held in all of them, opening hours every
day 08:00–22:00 and 20,000 customers; bookings are spread over the weeks around today, 2,000 of them in the
measured week, 500 of them for one customer. Each figure is a whole request through Django's test client
(middleware, view, template), as a signed-in owner or customer sees it. The issue's goal is p95 ≤ 50 ms each.
"""

import argparse
import cProfile
import datetime
import pstats
import random

from _harness import bench_environment, bench_organizations, timed
from roster_search import percentile

GOAL_MS = 50.0


def seed(organization, owner, *, week_bookings: int, customer_bookings: int, rng: random.Random):
    """Rooms, a party, hours, customers and bookings; returns (party, the customer with many bookings)."""
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from accounts.tenancy import tenant
    from bookings import services
    from bookings.models import Booking, BookingChannel, BookingSettings, PartyPackage, Room
    from customers.models import Customer

    zone = ZoneInfo(organization.time_zone)
    with tenant(organization):
        hours = {day: (datetime.time(8), datetime.time(22)) for day in range(7)}
        services.booking_settings_save(rules=BookingSettings(), hours=hours, by=owner)
        rooms = [services.room_save(room=Room(name=f"Room {n}", guests=40), by=owner) for n in range(20)]
        party = services.party_package_save(
            package=PartyPackage(name="Party", minutes=60, max_guests=30, price=20000, deposit=5000),
            rooms=rooms,
            by=owner,
        )
        people = Customer.objects.bulk_create(
            [Customer(first_name=f"Kid{n}", last_name=f"Family{n % 997}") for n in range(20_000)],
            batch_size=5000,
        )
        regular = people[0]
        today = timezone.localdate(timezone=zone)
        monday = today - datetime.timedelta(days=today.weekday())
        rows = []

        def place(day, slot, room, person):
            starts = datetime.datetime.combine(day, datetime.time(8), zone) + datetime.timedelta(
                minutes=45 * slot
            )
            ends = starts + datetime.timedelta(minutes=30)
            rows.append(
                Booking(
                    package=party,
                    room=room,
                    starts_at=starts,
                    ends_at=ends,
                    free_at=ends,
                    customer=person,
                    customer_label=person.full_name,
                    booked_by=person,
                    booked_by_label=person.full_name,
                    guests=rng.randint(5, 30),
                    channel=BookingChannel.STAFF,
                )
            )

        # The measured week: 2,000 parties over 7 days × 20 rooms × 18 slots, a random person each.
        cells = [(d, s, r) for d in range(7) for s in range(18) for r in range(20)]
        for day, slot, room in rng.sample(cells, week_bookings):
            place(monday + datetime.timedelta(days=day), slot, rooms[room], rng.choice(people))
        # The regular's 500 parties, in the weeks before and after (room 0, one a day).
        for n in range(customer_bookings):
            offset = n // 2 + 8 if n % 2 else -(n // 2) - 8
            place(monday + datetime.timedelta(days=offset), 0, rooms[0], regular)
        Booking.objects.bulk_create(rows, batch_size=5000)
    return party, regular, monday


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--full", action="store_true", help="2,000 bookings in a week, 500 for one customer")
    parser.add_argument("--profile", action="store_true", help="print where each page's time goes")
    options = parser.parse_args()
    week_bookings, customer_bookings, repeat = (2000, 500, 60) if options.full else (500, 120, 20)

    with bench_environment("bookings-bench-"):
        from django.test import Client

        owner, measured, other = bench_organizations()
        rng = random.Random(11)
        party, regular, monday = seed(
            measured, owner, week_bookings=week_bookings, customer_bookings=customer_bookings, rng=rng
        )
        seed(other, owner, week_bookings=week_bookings, customer_bookings=customer_bookings, rng=rng)
        client = Client()
        client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
        next_month = (monday.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
        staff = f"/app/{measured.slug}"
        pages = {
            f"Calendar week ({week_bookings:,} bookings)": f"{staff}/bookings/?view=week&date={monday}",
            f"Bookings tab ({customer_bookings} bookings)": f"{staff}/customers/{regular.pk}/bookings/",
            "Free times, a month (20 rooms)": f"/{measured.slug}/book/{party.pk}/?month={next_month:%Y-%m}",
            "(for comparison: the same profile's Notes tab)": f"{staff}/customers/{regular.pk}/notes/",
        }
        print("| page | requests | p50 ms | p95 ms | max ms | goal p95 ms |")
        print("|---|---|---|---|---|---|")
        for label, url in pages.items():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            for _ in range(3):
                client.get(url)
            if options.profile:
                profile = cProfile.Profile()
                profile.runcall(client.get, url)
                pstats.Stats(profile).sort_stats("tottime").print_stats(20)
            times = [timed(lambda url=url: client.get(url)) for _ in range(repeat)]
            print(
                f"| {label} | {repeat} | {percentile(times, 0.5):.1f} | {percentile(times, 0.95):.1f} | "
                f"{max(times):.1f} | {GOAL_MS:.0f} |"
            )


if __name__ == "__main__":
    main()
