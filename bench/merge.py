"""Merging a customer with a long history into another, and undoing it.

    .venv/bin/python bench/merge.py              # 20 k customers beside, 10 merges (about a minute)
    .venv/bin/python bench/merge.py --full       # 200 k customers beside

Starts its own embedded PostgreSQL and Redis, loads a roster (see roster_search.py) into one organization and
a smaller second one, then, for each merge, a pair of customers: the one merged away has 5,000 activity
events, 200 notes, 3 tags (one also on the survivor), two payments and a party booking; the survivor a few
of each. Times `customers_merge` (one transaction: both locked, every handler, the tombstone) and
`merge_undo`, as the app role with row-level security in force. Goal: merge p95 ≤ 1 s.
"""

import datetime
import random
import time
from zoneinfo import ZoneInfo

from _harness import bench_environment, bench_organizations, bench_parser
from roster_search import load, percentile

EVENTS, NOTES = 5_000, 200


def setup_shop(owner):
    """A party package, a room and a package to sell: what the pairs' payments and bookings need."""
    from billing import services as billing_services
    from billing.models import Package
    from bookings import services as booking_services
    from bookings.models import BookingSettings, PartyPackage, Room

    booking_services.booking_settings_save(
        rules=BookingSettings(),
        hours={day: (datetime.time(8), datetime.time(20)) for day in range(7)},
        by=owner,
    )
    room = booking_services.room_save(room=Room(name="Room", guests=20), by=owner)
    party = booking_services.party_package_save(
        package=PartyPackage(name="Party", description="", price=9000, deposit=0), rooms=[room], by=owner
    )
    pass_ = billing_services.package_save(
        package=Package(name="Drop-in", price=1500, currency="USD"), by=owner
    )
    return room, party, pass_


def make_pair(number: int, owner, shop, tags) -> tuple:
    from billing import services as billing_services
    from bookings import services as booking_services
    from customers import services as customer_services
    from customers.models import Activity
    from notes.models import Note
    from tags import services as tag_services

    room, party, pass_ = shop
    survivor = customer_services.customer_create(
        data={"first_name": "Sam", "last_name": f"Merge{number}", "phone": f"555-01{number:02d}"}, by=owner
    )
    merged = customer_services.customer_create(
        data={"first_name": "Samantha", "last_name": f"Merge{number}", "email": f"sam{number}@bench.example"},
        by=owner,
    )
    Activity.objects.bulk_create(
        Activity(customer=merged, customer_label=merged.full_name, kind="updated", actor=owner)
        for _ in range(EVENTS)
    )
    Note.objects.bulk_create(
        Note(customer=merged, author=owner, text=f"Note {index} about the party") for index in range(NOTES)
    )
    for tag in tags:
        tag_services.tag_add(customer=merged, tag=tag, by=owner)
    tag_services.tag_add(customer=survivor, tag=tags[0], by=owner)
    for payer in (merged, merged, survivor):
        billing_services.sale_record(package=pass_, customer=payer, payer=payer, method="cash", by=owner)
    day = datetime.date(2027, 1, 1) + datetime.timedelta(days=number)
    booking_services.booking_create(
        package=party,
        room=room,
        starts_at=datetime.datetime.combine(day, datetime.time(10), ZoneInfo("UTC")),
        customer=merged,
        booked_by=merged,
        guests=5,
        note="",
        by=owner,
    )
    return survivor, merged


def main() -> None:
    parser = bench_parser(__doc__, size=20_000, full=200_000, what="customers on the roster beside the pairs")
    parser.add_argument("--merges", type=int, default=10)
    options = parser.parse_args()
    size = options.size

    with bench_environment("merge-bench-") as superuser_url:
        from django.db import transaction

        from accounts.tenancy import tenant
        from customers import merge_services
        from tags.models import Tag

        owner, measured, other = bench_organizations()
        load(
            superuser_url,
            size + size // 10,
            (size - 0.5) / (size + size // 10),
            [measured.pk, other.pk],
            random.Random(7),
        )
        merges, undos = [], []
        with tenant(measured):
            shop = setup_shop(owner)
            tags = Tag.objects.bulk_create(Tag(name=f"Tag {n}") for n in range(3))
        for number in range(options.merges):
            with tenant(measured):
                survivor, merged = make_pair(number, owner, shop, tags)
            with tenant(measured):
                started = time.perf_counter()
                with transaction.atomic():
                    record = merge_services.customers_merge(
                        survivor=survivor, merged=merged, choices={}, by=owner
                    )
                merges.append((time.perf_counter() - started) * 1000)
            with tenant(measured):
                started = time.perf_counter()
                with transaction.atomic():
                    merge_services.merge_undo(merge=record, by=owner)
                undos.append((time.perf_counter() - started) * 1000)

    print(f"\n{size:,} customers on the roster; times in ms")
    print(f"each merged customer: {EVENTS:,} events, {NOTES} notes, 3 tags, 2 payments, a booking")
    print(f"{'what':<10}{'p50':>9}{'p95':>9}{'max':>9}")
    for name, figures in (("merge", merges), ("undo", undos)):
        print(
            f"{name:<10}{percentile(figures, 0.5):>9.0f}{percentile(figures, 0.95):>9.0f}{max(figures):>9.0f}"
        )
    print(f"RESULT merge_p95_ms={percentile(merges, 0.95):.0f} undo_p95_ms={percentile(undos, 0.95):.0f}")


if __name__ == "__main__":
    main()
