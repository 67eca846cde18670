"""Reads of parties: the booking rules, free slots for a package, the staff calendar, and a customer's
bookings. Times are the organization's: a day is a calendar day where the business is."""

import calendar
import datetime
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.tenancy import required_organization
from bookings.models import (
    Blackout,
    Booking,
    BookingSettings,
    BookingStatus,
    CourseWaiver,
    OpeningHours,
    PartyPackage,
    PartyWaiver,
    Registration,
    Room,
)
from customers.models import Customer
from families.models import GuardianLink, GuardianPermission
from waivers.models import Status, WaiverTemplate
from waivers.selectors import statuses


def booking_settings() -> BookingSettings:
    """The organization's booking rules: saved ones, else the defaults (unsaved)."""
    return BookingSettings.objects.first() or BookingSettings()


def organization_zone() -> ZoneInfo:
    return ZoneInfo(required_organization("a booking's time").time_zone)


def when(moment: datetime.datetime) -> str:
    """A booking's time as the business reads it, e.g. "Sat Dec 12, 2026 10:00"."""
    return f"{timezone.localtime(moment, organization_zone()):%a %b %-d, %Y %H:%M}"


def _live() -> Q:
    """Bookings that take their room: confirmed, or held by someone paying whose time has not run out."""
    return Q(status=BookingStatus.CONFIRMED) | Q(status=BookingStatus.HELD, held_until__gt=timezone.now())


def live_bookings() -> QuerySet:
    return Booking.objects.filter(_live())


def bookable_packages() -> QuerySet:
    """Party packages customers may book online: not archived, with at least one room in use."""
    return (
        PartyPackage.objects.filter(archived_at=None, rooms__archived_at=None)
        .distinct()
        .order_by("name", "id")
    )


@dataclass
class Slot:
    """A start time of a party package, and the rooms free for it."""

    starts_at: datetime.datetime
    ends_at: datetime.datetime
    rooms: list[Room] = field(default_factory=list)


def _bookable_days(first: datetime.date, last: datetime.date, rules: BookingSettings, zone: ZoneInfo):
    """The days between `first` and `last` customers may book: open, not closed for the day, not in the past
    nor further ahead than the rules allow; each with its opening hours."""
    today = timezone.localdate(timezone=zone)
    first, last = max(first, today), min(last, today + datetime.timedelta(days=rules.days_ahead))
    hours = {row.weekday: row for row in OpeningHours.objects.all()}
    closed = set(Blackout.objects.filter(date__range=(first, last)).values_list("date", flat=True))
    day = first
    while day <= last:
        if day not in closed and day.weekday() in hours:
            yield day, hours[day.weekday()]
        day += datetime.timedelta(days=1)


def free_slots_between(
    package: PartyPackage,
    first: datetime.date,
    last: datetime.date,
    *,
    guests: int = 1,
    first_only: bool = False,
) -> dict[datetime.date, list[Slot]]:
    """The start times of `package` from `first` to `last` (days included) with a room free for it and its
    cleaning buffer, by day; days without one are left out (`first_only`: the first of each day, enough for
    a month's calendar). Three queries whatever the span; each start is checked against its day's
    bookings only."""
    rules = booking_settings()
    zone = organization_zone()
    rooms = [room for room in package.rooms.filter(archived_at=None) if room.guests >= guests]
    days = list(_bookable_days(first, last, rules, zone)) if rooms else []
    if not days:
        return {}
    length = package.minutes * 60
    buffer = rules.buffer_minutes * 60
    span_start = datetime.datetime.combine(days[0][0], datetime.time.min, zone)
    span_end = datetime.datetime.combine(days[-1][0], datetime.time.max, zone) + datetime.timedelta(
        seconds=length + buffer
    )
    # Each booking as (start, free) in epoch seconds, under every day a start it could clash with falls on.
    taken: dict[tuple[int, datetime.date], list[tuple[float, float]]] = {}
    for room_id, starts, free in (
        live_bookings()
        .filter(room__in=rooms, starts_at__lt=span_end, free_at__gt=span_start)
        .values_list("room_id", "starts_at", "free_at")
    ):
        span = (starts.timestamp(), free.timestamp())
        day = timezone.localtime(starts, zone).date() - datetime.timedelta(days=1)
        while day <= timezone.localtime(free, zone).date():
            taken.setdefault((room_id, day), []).append(span)
            day += datetime.timedelta(days=1)
    now = timezone.now().timestamp()
    step = datetime.timedelta(minutes=rules.slot_minutes)
    package_length = datetime.timedelta(seconds=length)
    found: dict[datetime.date, list[Slot]] = {}
    for day, hours in days:
        opens = datetime.datetime.combine(day, hours.opens, zone)
        closes = datetime.datetime.combine(day, hours.closes, zone).timestamp()
        lists = [(room, taken.get((room.pk, day), ())) for room in rooms]
        begins = opens
        while (start := begins.timestamp()) + length <= closes:
            if start > now:
                end = start + length
                free_rooms = [
                    room for room, spans in lists if all(end + buffer <= s or start >= f for s, f in spans)
                ]
                if free_rooms:
                    found.setdefault(day, []).append(Slot(begins, begins + package_length, free_rooms))
                    if first_only:
                        break
            begins += step
    return found


def free_slots(package: PartyPackage, day: datetime.date, *, guests: int = 1) -> list[Slot]:
    return free_slots_between(package, day, day, guests=guests).get(day, [])


def month_days(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, month, 1), datetime.date(year, month, calendar.monthrange(year, month)[1])


def slot_is_offered(package: PartyPackage, room: Room, starts_at: datetime.datetime, guests: int) -> bool:
    """Whether customers may book `package` in `room` at `starts_at` online right now."""
    day = timezone.localtime(starts_at, organization_zone()).date()
    return any(
        slot.starts_at == starts_at and room in slot.rooms for slot in free_slots(package, day, guests=guests)
    )


def calendar_entries(first: datetime.datetime, last: datetime.datetime, *, rooms_shown: bool) -> list[tuple]:
    """What the calendar draws of the bookings starting between two moments that are live or were cancelled:
    (pk, local day, room id, "HH:MM–HH:MM[ · room]", for whom, "party · N guests", badge) with badge
    "Cancelled", "Paying deposit", "Checked in" or "". Plain rows, no model instances and text made here,
    not in the template: a week may hold thousands."""
    zone = organization_zone()
    rows = (
        Booking.objects.filter(
            _live() | Q(status=BookingStatus.CANCELLED), starts_at__gte=first, starts_at__lt=last
        )
        .order_by("starts_at", "room__name", "id")
        .values_list(
            "pk",
            "starts_at",
            "ends_at",
            "room_id",
            "room__name",
            "customer_label",
            "package__name",
            "guests",
            "status",
            "checked_in_at",
        )
    )
    badges = {BookingStatus.CANCELLED: "Cancelled", BookingStatus.HELD: "Paying deposit"}
    entries = []
    for pk, starts, ends, room_id, room, label, party, guests, status, checked_in in rows:
        starts, ends = starts.astimezone(zone), ends.astimezone(zone)
        time = f"{starts:%H:%M}–{ends:%H:%M} · {room}" if rooms_shown else f"{starts:%H:%M}–{ends:%H:%M}"
        badge = badges.get(status) or ("Checked in" if checked_in else "")
        detail = f"{party} · {guests} guest{'' if guests == 1 else 's'}"
        entries.append((pk, starts.date(), room_id, time, label, detail, badge))
    return entries


def bookable_for(booker: Customer) -> list[Customer]:
    """Whose party `booker` may book: their own first, then the people they look after with *book*."""
    links = GuardianLink.objects.filter(
        guardian=booker, permissions__contains=[GuardianPermission.BOOK], dependant__archived_at=None
    ).select_related("dependant")
    return [booker, *(link.dependant for link in links.order_by("dependant__first_key"))]


def payers_of(customer: Customer) -> list[Customer]:
    """Who may book and pay for a customer's party at the desk: the customer, then their guardians."""
    links = GuardianLink.objects.filter(dependant=customer, guardian__archived_at=None).select_related(
        "guardian"
    )
    return [customer, *(link.guardian for link in links.order_by("-is_primary", "guardian__first_key"))]


def visible_household(customer: Customer) -> list[int]:
    """The customer and those whose bookings they may see (*see bookings and payments*, or *book*)."""
    links = GuardianLink.objects.filter(
        guardian=customer,
        permissions__overlap=[GuardianPermission.VIEW_HISTORY, GuardianPermission.BOOK],
        dependant__archived_at=None,
    )
    return [customer.pk, *links.values_list("dependant_id", flat=True)]


def household_booking(household: list[int], pk) -> Booking | None:
    """Booking `pk` when it is for, or was booked by, one of `household`."""
    mine = Booking.objects.filter(Q(customer__in=household) | Q(booked_by__in=household))
    return mine.select_related("package", "room", "deposit_purchase").filter(pk=pk).first()


def customer_may_cancel(booking: Booking) -> bool:
    """Customers cancel a confirmed party online until the business's window closes before it starts."""
    window = datetime.timedelta(hours=booking_settings().cancel_hours)
    return booking.status == BookingStatus.CONFIRMED and booking.starts_at - window > timezone.now()


def bookings_of(customer_ids: list[int], *, upcoming: bool) -> QuerySet:
    """Parties for (or booked by) these customers: upcoming live ones soonest first, or the rest (past,
    cancelled) latest first."""
    now = timezone.now()
    mine = Booking.objects.filter(Q(customer__in=customer_ids) | Q(booked_by__in=customer_ids))
    mine = mine.select_related("package", "room").exclude(status=BookingStatus.EXPIRED)
    if upcoming:
        return mine.filter(ends_at__gt=now, status=BookingStatus.CONFIRMED).order_by("starts_at", "id")
    return mine.filter(Q(ends_at__lte=now) | Q(status=BookingStatus.CANCELLED)).order_by("-starts_at", "-id")


LINKED_KEY = "waivers-linked"  # the cache key function adds the organization


def waivers_linked() -> bool:
    """Whether any party package or course needs a waiver. Most organizations link none, and then every
    roster page would ask for its customers' parties and classes for nothing."""
    return cache.get_or_set(
        LINKED_KEY, lambda: PartyWaiver.objects.exists() or CourseWaiver.objects.exists(), 600
    )


def forget_waiver_links() -> None:
    """After a package's or course's waivers change: now, and again at commit, in case a page read the links
    before the change was committed and cached them. The timeout bounds what a lost race costs."""
    cache.delete(LINKED_KEY)
    transaction.on_commit(lambda: cache.delete(LINKED_KEY))


def waivers_needed(customer_ids: list[int]) -> dict[int, list[tuple[WaiverTemplate, str]]]:
    """The waivers these customers need for the parties and classes they are booked for (registered with
    waivers.extend): {customer_id: [(template, "Party on Sat Dec 12, 2026 10:00")]}, the soonest reason for
    each template. Four queries whatever the number of customers, none where no waiver is linked."""
    if not waivers_linked():
        return {}
    now = timezone.now()
    needed: dict[int, dict[int, tuple[WaiverTemplate, str]]] = {}
    parties = list(
        Booking.objects.filter(customer__in=customer_ids, status=BookingStatus.CONFIRMED, ends_at__gt=now)
        .order_by("starts_at")
        .values_list("customer_id", "package_id", "starts_at")
    )
    templates = _templates_by(PartyWaiver, "package_id", {row[1] for row in parties})
    for customer_id, package_id, starts in parties:
        for template in templates.get(package_id, []):
            needed.setdefault(customer_id, {}).setdefault(template.pk, (template, f"Party on {when(starts)}"))
    classes = list(
        Registration.objects.filter(customer__in=customer_ids, cancelled_at=None, session__ends_at__gt=now)
        .order_by("session__starts_at")
        .values_list("customer_id", "session__course_id", "session__course__name", "session__starts_at")
    )
    templates = _templates_by(CourseWaiver, "course_id", {row[1] for row in classes})
    for customer_id, course_id, name, starts in classes:
        for template in templates.get(course_id, []):
            needed.setdefault(customer_id, {}).setdefault(
                template.pk, (template, f"{name} on {when(starts)}")
            )
    return {customer_id: list(items.values()) for customer_id, items in needed.items()}


def _templates_by(model, key: str, ids: set[int]) -> dict[int, list[WaiverTemplate]]:
    """The waiver templates PartyWaiver or CourseWaiver (`model`) links to these packages or courses, by their
    id (`key`); nothing to build when there are none, as on most roster pages."""
    found: dict[int, list[WaiverTemplate]] = {}
    if not ids:
        return found
    for link in model.objects.filter(**{f"{key}__in": ids}).select_related("template"):
        found.setdefault(getattr(link, key), []).append(link.template)
    return found


def unsigned_waivers(
    customer_ids: list[int], templates: list[WaiverTemplate]
) -> dict[int, list[WaiverTemplate]]:
    """For each of the customers, which of `templates` they have no valid signature of (one query)."""
    signed = statuses(customer_ids, [template.pk for template in templates])
    valid = (Status.VALID, Status.EXPIRING)
    return {
        customer_id: [
            template for template in templates if signed.get(customer_id, {}).get(template.pk) not in valid
        ]
        for customer_id in customer_ids
    }
