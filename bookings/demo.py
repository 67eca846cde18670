"""The demo's parties: three rooms, two party packages, opening hours, and birthday parties of children on
the roster booked by their guardians — past ones checked in, a few cancelled, the next six weeks filling
up."""

import datetime
import random

from django.utils import timezone

from accounts.models import User
from bookings.models import Booking, BookingChannel, BookingSettings, BookingStatus, PartyPackage, Room
from bookings.selectors import organization_zone
from bookings.services import booking_settings_save, party_package_save, room_save
from families.models import GuardianLink, GuardianPermission
from waivers.models import WaiverTemplate

WEEKDAY_HOURS = (datetime.time(15), datetime.time(21))
WEEKEND_HOURS = (datetime.time(9), datetime.time(19))
# Hours a demo party may start: a party (up to 2.5 h) and the room's cleaning fit before the next start.
STARTS = {"weekday": [15, 18], "weekend": [9, 12, 15]}


def demo_parties(*, by: User, seed: int, count: int = 90) -> None:
    """Parties need the demo's waiver (loaded before), so some booked children show it missing."""
    rng = random.Random(seed)
    waivers = list(WaiverTemplate.objects.filter(archived_at=None)[:1])
    hours = {day: WEEKDAY_HOURS if day < 5 else WEEKEND_HOURS for day in range(7)}
    booking_settings_save(rules=BookingSettings(), hours=hours, by=by)
    jungle = room_save(room=Room(name="Jungle room", guests=25), by=by)
    space = room_save(room=Room(name="Space station", guests=15), by=by)
    deck = room_save(room=Room(name="Party deck", guests=40), by=by)
    classic = party_package_save(
        package=PartyPackage(
            name="Classic birthday party",
            description="Two hours: an hour of open play, then pizza and cake in your party room. A host "
            "looks after everything.",
            minutes=120,
            max_guests=20,
            price=29900,
            deposit=10000,
        ),
        rooms=[jungle, space],
        waivers=waivers,
        by=by,
    )
    deluxe = party_package_save(
        package=PartyPackage(
            name="Deluxe jungle party",
            description="Two and a half hours with the climbing wall, a private room, a host and goody bags.",
            minutes=150,
            max_guests=30,
            price=44900,
            deposit=15000,
        ),
        rooms=[jungle, deck],
        waivers=waivers,
        by=by,
    )
    links = list(
        GuardianLink.objects.filter(
            permissions__contains=[GuardianPermission.BOOK], dependant__birthday__isnull=False
        )
        .select_related("guardian", "dependant")
        .order_by("pk")
    )
    if not links:
        return
    zone = organization_zone()
    today = timezone.localdate(timezone=zone)
    taken: set[tuple[int, datetime.date, int]] = set()
    bookings = []
    for _ in range(count * 3):
        if len(bookings) >= count:
            break
        day = today + datetime.timedelta(days=rng.randint(-45, 42))
        package = rng.choice([classic, classic, deluxe])
        room = rng.choice([jungle, space] if package == classic else [jungle, deck])
        hour = rng.choice(STARTS["weekend" if day.weekday() >= 5 else "weekday"])
        if (room.pk, day, hour) in taken:
            continue
        taken.add((room.pk, day, hour))
        link = rng.choice(links)
        starts = datetime.datetime.combine(day, datetime.time(hour), zone)
        ends = starts + datetime.timedelta(minutes=package.minutes)
        past = ends < timezone.now()
        cancelled = rng.random() < 0.06
        guests = rng.randint(6, min(package.max_guests, room.guests))
        bookings.append(
            Booking(
                package=package,
                room=room,
                starts_at=starts,
                ends_at=ends,
                free_at=ends + datetime.timedelta(minutes=30),
                customer=link.dependant,
                customer_label=link.dependant.full_name,
                booked_by=link.guardian,
                booked_by_label=link.guardian.full_name,
                guests=guests,
                status=BookingStatus.CANCELLED if cancelled else BookingStatus.CONFIRMED,
                channel=rng.choice([BookingChannel.ONLINE, BookingChannel.STAFF]),
                note=rng.choice(
                    ["", "", "Nut allergy at the table", "Dinosaur theme, please", "Gluten-free cake"]
                ),
                created_by=by,
                cancelled_at=timezone.now() if cancelled else None,
                cancel_reason="Moved house" if cancelled else "",
                checked_in_at=ends - datetime.timedelta(minutes=package.minutes)
                if past and not cancelled
                else None,
                guests_arrived=max(guests - rng.randint(0, 3), 1) if past and not cancelled else None,
            )
        )
    Booking.objects.bulk_create(bookings)


def demo_erase() -> None:
    """Delete the current organization's bookings before billing's demo rows (deposits are its packages)."""
    Booking.objects.all().delete()
    PartyPackage.objects.all().delete()
    Room.objects.all().delete()
