"""Reads of classes: courses and their sessions with places taken, who is registered, the class passes a
customer may register with, and the registrations the profile's Bookings tab and the portal show."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.tenancy import required_organization
from billing.models import PunchCard
from bookings.models import BookingSettings, Course, Registration, Session
from bookings.selectors import bookable_for, booking_settings
from customers.models import Customer


def organization_zone() -> ZoneInfo:
    return ZoneInfo(required_organization("a class's time").time_zone)


def local_date(moment: datetime) -> date:
    """The day `moment` falls on where the organization is."""
    return timezone.localtime(moment, organization_zone()).date()


def live_registrations() -> QuerySet:
    return Registration.objects.filter(cancelled_at=None)


def with_places(sessions: QuerySet) -> QuerySet:
    """`sessions` annotated with `taken` (registrations not cancelled) and `places` (their capacity, else
    their course's)."""
    taken = Count("registrations", filter=Q(registrations__cancelled_at=None))
    return sessions.annotate(taken=taken, places=Coalesce("capacity", "course__capacity"))


def session_capacity(session: Session) -> int:
    return session.capacity or session.course.capacity


def active_courses() -> QuerySet:
    return Course.objects.filter(archived_at=None).select_related("room", "term_package")


def sessions_of_course(course: Course) -> tuple[list[Session], list[Session]]:
    """The course's sessions with their places: (to come, soonest first; past, latest first)."""
    sessions = with_places(course.sessions.all())
    now = timezone.now()
    return list(sessions.filter(ends_at__gt=now).order_by("starts_at")), list(
        sessions.filter(ends_at__lte=now).order_by("-starts_at")
    )


def sessions_by_day(*, days: int = 14) -> list[tuple[date, list[Session]]]:
    """Staff's Classes page: the sessions from today on for `days` days, with their places, by local day."""
    zone = organization_zone()
    today = timezone.localdate(timezone=zone)
    start = datetime.combine(today, datetime.min.time(), tzinfo=zone)
    sessions = with_places(
        Session.objects.filter(starts_at__gte=start, starts_at__lt=start + timedelta(days=days))
        .select_related("course", "course__room")
        .order_by("starts_at", "id")
    )
    grouped: dict[date, list[Session]] = {}
    for session in sessions:
        grouped.setdefault(timezone.localtime(session.starts_at, zone).date(), []).append(session)
    return list(grouped.items())


def session_registrants(session: Session) -> list[Registration]:
    """Who is registered for the session (cancelled ones last), with what pays for each."""
    return list(
        session.registrations.select_related(
            "customer", "registered_by", "punch_card__purchase__package"
        ).order_by(
            F("cancelled_at").asc(nulls_first=True), "customer__last_name", "customer__first_name", "id"
        )
    )


def registrations_of(customer_ids: list[int], *, upcoming: bool) -> QuerySet:
    """The registrations of these customers with their session and course: `upcoming` those not cancelled
    whose session starts after now, soonest first; else the past and cancelled ones, latest first."""
    registrations = Registration.objects.filter(customer_id__in=customer_ids).select_related(
        "session__course", "customer"
    )
    now = timezone.now()
    if upcoming:
        return registrations.filter(cancelled_at=None, session__starts_at__gt=now).order_by(
            "session__starts_at", "id"
        )
    return registrations.filter(Q(session__starts_at__lte=now) | ~Q(cancelled_at=None)).order_by(
        "-session__starts_at", "-id"
    )


def cancel_deadline(session: Session, rules: BookingSettings | None = None) -> datetime:
    """Until when a customer may cancel online: the session's start less the booking rules' hours."""
    return session.starts_at - timedelta(hours=(rules or booking_settings()).cancel_hours)


def passes_reserved(card: PunchCard) -> int:
    """Visits of the card promised to registrations not yet checked in (each is punched at check-in)."""
    return live_registrations().filter(punch_card=card, checked_in_at=None).count()


def usable_passes(customer: Customer, course: Course, on: date) -> list[PunchCard]:
    """The customer's cards of a pass the course accepts, valid on `on`, with a visit not yet promised to
    another registration; the one expiring first first."""
    reserved = Count(
        "registrations", filter=Q(registrations__cancelled_at=None, registrations__checked_in_at=None)
    )
    cards = (
        PunchCard.objects.filter(holder=customer, purchase__package__in=course.passes.all())
        .filter(Q(valid_until=None) | Q(valid_until__gte=on))
        .annotate(reserved=reserved)
        .filter(used__lt=F("visits") - F("reserved"))
        .select_related("purchase__package")
        .order_by(F("valid_until").asc(nulls_last=True), "id")
    )
    return list(cards)


# The portal


def portal_sessions(*, days: int = 60) -> QuerySet:
    """What the portal offers: sessions of courses on offer, not cancelled, starting in the next `days`."""
    now = timezone.now()
    return with_places(
        Session.objects.filter(
            course__archived_at=None,
            cancelled_at=None,
            starts_at__gt=now,
            starts_at__lt=now + timedelta(days=days),
        )
        .select_related("course", "course__room")
        .order_by("starts_at", "id")
    )


def open_session(pk: int) -> Session | None:
    """A session the portal offers, or None."""
    return portal_sessions().filter(pk=pk).first()


def registration_seen_by(customer: Customer, pk: int) -> Registration | None:
    """A registration of the customer or of someone they may book for, or None."""
    people = [person.pk for person in bookable_for(customer)]
    return (
        Registration.objects.filter(pk=pk, customer_id__in=people)
        .select_related("session__course", "customer", "credit_entry")
        .first()
    )


def term_sessions_left(course: Course) -> QuerySet:
    """The sessions a term bought now registers for: those not cancelled that have not started."""
    return course.sessions.filter(cancelled_at=None, starts_at__gt=timezone.now()).order_by("starts_at")


def registered_among(customer: Customer, sessions) -> set[int]:
    """Which of these sessions the customer holds a place in."""
    return set(
        live_registrations()
        .filter(customer=customer, session__in=sessions)
        .values_list("session_id", flat=True)
    )
