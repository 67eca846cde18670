"""The party-booking test world: Alpha's connected store (tests.store_helpers) with two rooms, a party package
with a deposit, open every day 09:00–20:00. Its fixture, `party_world`, reaches every module through
conftest's plugins. Also `one_session`, for tests that need a single class session."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.tenancy import tenant
from bookings import class_services, services
from bookings.models import BookingSettings, PartyPackage, Room
from tests.store_helpers import open_shop
from waivers.services import waiver_template_create


def next_saturday(weeks: int = 1) -> datetime.date:
    today = timezone.localdate(timezone=ZoneInfo("America/Chicago"))
    return today + datetime.timedelta(days=((5 - today.weekday()) % 7 or 7) + 7 * (weeks - 1))


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    """A moment in Alpha's time zone."""
    return datetime.datetime.combine(day, datetime.time(hour, minute), ZoneInfo("America/Chicago"))


def one_session(course, day: datetime.date, starts: datetime.time, *, by, minutes: int = 45):
    """A class course's only session: on `day`, from `starts`."""
    [session] = class_services.sessions_schedule(
        course=course,
        weekdays=[day.weekday()],
        starts=starts,
        minutes=minutes,
        first_date=day,
        weeks=1,
        by=by,
    )
    return session


def open_party_room(org_a, org_b, alice, bob) -> dict:
    world = open_shop(org_a, org_b, alice, bob)
    with tenant(org_a):
        hours = {weekday: (datetime.time(9), datetime.time(20)) for weekday in range(7)}
        services.booking_settings_save(rules=BookingSettings(), hours=hours, by=alice)
        jungle = services.room_save(room=Room(name="Jungle room", guests=20), by=alice)
        space = services.room_save(room=Room(name="Space station", guests=12), by=alice)
        party = services.party_package_save(
            package=PartyPackage(name="Jungle party", minutes=120, max_guests=15, price=30000, deposit=10000),
            rooms=[jungle, space],
            by=alice,
        )
    return world | {"jungle": jungle, "space": space, "jungle_party": party}


@pytest.fixture
def party_world(org_a, org_b, alice, bob):
    return open_party_room(org_a, org_b, alice, bob)


def book_at_desk(world, alice, hour, room="jungle", day=None, **fields):
    """A party booked by staff for Kim (Pat booking) at `hour` next Saturday unless told otherwise."""
    fields = {"customer": world["kim"], "booked_by": world["pat"], "guests": 10} | fields
    return services.booking_create(
        package=world["jungle_party"],
        room=world[room],
        starts_at=at(day or next_saturday(), hour),
        by=alice,
        **fields,
    )


def hold_online(world, day: datetime.date):
    """Pat's online booking for Kim at 10:00 on `day`, held until its deposit is paid."""
    return services.booking_online_start(
        package=world["jungle_party"],
        room=world["jungle"],
        starts_at=at(day, 10),
        customer=world["kim"],
        booked_by=world["pat"],
        guests=5,
    )


def play_area_waiver(by, text: str = "We play safe."):
    """The parties' waiver: valid a year, a guardian signs for a child."""
    return waiver_template_create(
        name="Play area waiver", text=text, validity_months=12, guardian_signs_for_minors=True, by=by
    )
