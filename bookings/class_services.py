"""Writes of classes: courses and their schedules (Settings → Classes), registering for a session paid with a
class pass, credit or at the desk, the whole term once its package is paid, cancelling and checking in.

A session's row is locked while its places are counted, so two people racing for the last place cannot both
get it; a class pass's card is locked while the visits promised to registrations are counted, and punched
only at check-in. Each registration change is in the customer's Activity Log, each course change in the
organization's audit log."""

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User
from accounts.money import format_minor
from accounts.tenancy import current_organization
from billing.credit import CreditError, ledger_append
from billing.models import Checkout, CreditKind, Package, PunchCard
from billing.punch_services import PunchError, punch_use
from bookings.class_selectors import (
    cancel_deadline,
    live_registrations,
    local_date,
    organization_zone,
    passes_reserved,
    registered_among,
    session_capacity,
    term_sessions_left,
    usable_passes,
)
from bookings.models import (
    Course,
    CourseAudit,
    PaidWith,
    Registration,
    RegistrationEvent,
    Session,
)
from bookings.selectors import forget_waiver_links
from customers.models import Customer
from customers.models.roster import age_on
from customers.services import activity_record
from families.models import GuardianPermission
from families.selectors import guardian_may

MAX_WEEKS = 52


class ClassError(Exception):
    """A class change that cannot be made; the message says why, for staff or the customer."""


# Courses and their sessions


@transaction.atomic
def course_save(*, course: Course, passes: list[Package], by: User, waivers: list | None = None) -> Course:
    """Create or change a course, with the class passes its sessions accept and the waivers it needs."""
    created = course.pk is None
    course.currency = course.currency or current_organization().currency
    course.save()
    course.passes.set(passes, through_defaults={"organization": current_organization()})
    if waivers is not None:
        course.waivers.set(waivers, through_defaults={"organization": current_organization()})
        forget_waiver_links()
    detail = "added" if created else "changed"
    audit_record(action=CourseAudit.SAVED, by=by, target=course.name, detail=detail)
    return course


@transaction.atomic
def course_archive(*, course: Course, by: User) -> Course:
    """Take a course off the portal and the staff's lists; its sessions and registrations stay."""
    if course.archived_at is None:
        course.archived_at = timezone.now()
        course.save(update_fields=["archived_at"])
        audit_record(action=CourseAudit.ARCHIVED, by=by, target=course.name)
    return course


@transaction.atomic
def course_restore(*, course: Course, by: User) -> Course:
    if course.archived_at is not None:
        course.archived_at = None
        course.save(update_fields=["archived_at"])
        audit_record(action=CourseAudit.RESTORED, by=by, target=course.name)
    return course


def _session_dates(weekdays: list[int], first_date: date, weeks: int) -> list[date]:
    days = []
    for week in range(weeks):
        for weekday in sorted(set(weekdays)):
            days.append(first_date + timedelta(days=(weekday - first_date.weekday()) % 7 + 7 * week))
    return sorted(days)


@transaction.atomic
def sessions_schedule(
    *,
    course: Course,
    weekdays: list[int],
    starts: time,
    minutes: int,
    first_date: date,
    weeks: int,
    by: User,
) -> list[Session]:
    """Add a recurring schedule: on each of `weekdays` (0 = Monday) from `first_date` for `weeks` weeks, a
    session at `starts` for `minutes`, in the organization's time zone."""
    if not weekdays or not set(weekdays) <= set(range(7)):
        raise ClassError("Choose the days of the week.")
    if not 1 <= weeks <= MAX_WEEKS:
        raise ClassError(f"Schedule between 1 and {MAX_WEEKS} weeks.")
    if not 5 <= minutes <= 24 * 60:
        raise ClassError("A session lasts between 5 minutes and a day.")
    zone = organization_zone()
    if first_date < timezone.localdate(timezone=zone):
        raise ClassError("Start from today or later.")
    sessions = []
    for day in _session_dates(weekdays, first_date, weeks):
        starts_at = datetime.combine(day, starts, tzinfo=zone)
        sessions.append(
            Session(course=course, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes))
        )
    Session.objects.bulk_create(sessions)
    first = timezone.localtime(sessions[0].starts_at, zone)
    detail = f"{len(sessions)} sessions from {first:%b %-d, %Y %H:%M}, {minutes} minutes each"
    audit_record(action=CourseAudit.SCHEDULED, by=by, target=course.name, detail=detail)
    return sessions


@transaction.atomic
def session_cancel(*, session: Session, by: User) -> int:
    """Cancel a session and every registration for it (credit goes back); returns how many were registered."""
    session = Session.objects.select_for_update().select_related("course").get(pk=session.pk)
    if session.cancelled_at is not None:
        raise ClassError("This session is cancelled already.")
    session.cancelled_at = timezone.now()
    session.save(update_fields=["cancelled_at"])
    registrations = list(
        live_registrations().filter(session=session).select_related("customer", "credit_entry")
    )
    for registration in registrations:
        _cancel(registration, session, by=by, why="session cancelled")
    audit_record(
        action=CourseAudit.SESSION_CANCELLED,
        by=by,
        target=session.course.name,
        detail=f"{_when(session)} · {len(registrations)} registered",
    )
    return len(registrations)


# Registrations


def _when(session: Session) -> str:
    return f"{timezone.localtime(session.starts_at, organization_zone()):%a %b %-d, %Y %H:%M}"


def _detail(session: Session, registration: Registration, extra: str = "") -> str:
    paid = registration.get_paid_with_display().lower()
    return " · ".join(filter(None, [f"“{session.course.name}” {_when(session)}", paid, extra]))


def _refuse_unless_open(session: Session, customer: Customer, *, online: bool) -> None:
    course = session.course
    if session.cancelled_at is not None:
        raise ClassError("This session is cancelled.")
    if course.archived_at is not None:
        raise ClassError(f"“{course.name}” is no longer offered.")
    if customer.archived_at is not None:
        raise ClassError(f"{customer.full_name} is archived.")
    if (session.starts_at if online else session.ends_at) <= timezone.now():
        raise ClassError("This session has started." if online else "This session is over.")
    if customer.birthday and (course.min_age is not None or course.max_age is not None):
        age = age_on(customer.birthday, local_date(session.starts_at))
        low, high = course.min_age or 0, course.max_age if course.max_age is not None else 200
        if not low <= age <= high:
            raise ClassError(f"{customer.first_name} is {age}; “{course.name}” is for ages {low}–{high}.")
    if live_registrations().filter(session=session, customer=customer).exists():
        raise ClassError(f"{customer.first_name} is registered for this session already.")
    if live_registrations().filter(session=session).count() >= session_capacity(session):
        raise ClassError("This session is full.")


def _pass_for(session: Session, customer: Customer, card: PunchCard | None) -> PunchCard:
    """The card paying for the place, its row locked while its promised visits are counted."""
    on = local_date(session.starts_at)
    if card is None:
        usable = usable_passes(customer, session.course, on)
        if not usable:
            raise ClassError(f"{customer.first_name} holds no class pass with a visit left for this class.")
        card = usable[0]
    card = (
        PunchCard.objects.select_for_update(of=("self",)).select_related("purchase__package").get(pk=card.pk)
    )
    if (
        card.holder_id != customer.pk
        or not session.course.passes.filter(pk=card.purchase.package_id).exists()
    ):
        raise ClassError(
            f"“{card.purchase.package.name}” is not {customer.first_name}'s pass for this class."
        )
    if card.expired_on(on):
        raise ClassError(f"“{card.purchase.package.name}” expires before this session.")
    if card.remaining - passes_reserved(card) <= 0:
        raise ClassError(
            f"Every visit left on “{card.purchase.package.name}” is booked for another session already."
        )
    return card


@transaction.atomic
def registration_create(
    *,
    session: Session,
    customer: Customer,
    paid_with: str,
    by: User | None,
    registered_by: Customer | None = None,
    card: PunchCard | None = None,
) -> Registration:
    """Give `customer` a place in `session`. `registered_by`: the signed-in customer (themselves or a guardian
    with *book*) online; None at the desk, which alone may take payment on arrival. Paid with a class pass
    (`card`, else the one expiring first; punched at check-in) or credit (the course's drop-in price, from
    the registering customer's balance)."""
    session = Session.objects.select_for_update(of=("self",)).select_related("course").get(pk=session.pk)
    online = registered_by is not None
    if (
        online
        and registered_by.pk != customer.pk
        and not guardian_may(registered_by, GuardianPermission.BOOK, customer)
    ):
        raise ClassError(f"You may not book for {customer.first_name}.")
    _refuse_unless_open(session, customer, online=online)
    registration = Registration(
        session=session,
        customer=customer,
        registered_by=registered_by if online and registered_by.pk != customer.pk else None,
        by=by,
        paid_with=paid_with,
    )
    course = session.course
    if paid_with == PaidWith.PASS:
        registration.punch_card = _pass_for(session, customer, card)
    elif paid_with == PaidWith.CREDIT:
        if course.session_price is None:
            raise ClassError(f"“{course.name}” takes no drop-ins paid with credit.")
        payer = registered_by or customer
        try:
            registration.credit_entry = ledger_append(
                customer=payer,
                amount=-course.session_price,
                kind=CreditKind.SPENT,
                reason=f"“{course.name}” {_when(session)} for {customer.full_name}",
                by=by,
            )
        except CreditError as error:
            raise ClassError(str(error)) from error
    elif paid_with != PaidWith.DESK or online:
        raise ClassError("Choose how the session is paid.")
    registration.save()
    extra = f"“{registration.punch_card.purchase.package.name}”" if registration.punch_card else ""
    if registration.credit_entry:
        extra = format_minor(course.session_price, course.currency)
    if registration.registered_by:
        extra = " · ".join(filter(None, [extra, f"by {registered_by.full_name}"]))
    activity_record(
        customer=customer,
        by=by,
        kind=RegistrationEvent.REGISTERED,
        detail=_detail(session, registration, extra),
        subject_id=registration.pk,
    )
    return registration


def _cancel(registration: Registration, session: Session, *, by: User | None, why: str) -> None:
    registration.cancelled_at = timezone.now()
    registration.save(update_fields=["cancelled_at"])
    entry, extra = registration.credit_entry, why
    if entry is not None and entry.customer_id is not None:
        ledger_append(
            customer=entry.customer,
            amount=-entry.amount,
            kind=CreditKind.CORRECTION,
            reverses=entry,
            reason=f"Class registration cancelled: {entry.reason}",
            by=by,
        )
        extra = f"{why} · {format_minor(-entry.amount, entry.currency)} back on credit"
    activity_record(
        customer=registration.customer,
        by=by,
        kind=RegistrationEvent.CANCELLED,
        detail=_detail(session, registration, extra),
        subject_id=registration.pk,
    )


def _locked(registration: Registration) -> Registration:
    return (
        Registration.objects.select_for_update(of=("self",))
        .select_related("session__course", "customer", "credit_entry__customer", "punch_card")
        .get(pk=registration.pk)
    )


@transaction.atomic
def registration_cancel(*, registration: Registration, by: User | None, online: bool = False) -> Registration:
    """Give the place back; credit paid comes back on credit. Online, only until cancel_deadline()."""
    registration = _locked(registration)
    session = registration.session
    if registration.cancelled_at is not None:
        raise ClassError("This registration is cancelled already.")
    if registration.checked_in_at is not None:
        raise ClassError(f"{registration.customer.first_name} has checked in already.")
    if online and timezone.now() > cancel_deadline(session):
        raise ClassError("It is too late to cancel online: please call us.")
    _cancel(registration, session, by=by, why="cancelled online" if online else "")
    return registration


@transaction.atomic
def registration_check_in(*, registration: Registration, by: User) -> Registration:
    """Mark the customer arrived; a class pass pays now, one visit punched (refused when none is left)."""
    registration = _locked(registration)
    session = registration.session
    if registration.cancelled_at is not None or session.cancelled_at is not None:
        raise ClassError("This registration is cancelled.")
    if registration.checked_in_at is not None:
        raise ClassError(f"{registration.customer.first_name} has checked in already.")
    if registration.paid_with == PaidWith.PASS:
        if registration.punch_card is None:
            raise ClassError("The class pass of this registration is gone: take payment at the desk.")
        try:
            punch_use(card=registration.punch_card, by=by)
        except PunchError as error:
            raise ClassError(str(error)) from error
    registration.checked_in_at = timezone.now()
    registration.save(update_fields=["checked_in_at"])
    activity_record(
        customer=registration.customer,
        by=by,
        kind=RegistrationEvent.CHECKED_IN,
        detail=_detail(session, registration),
        subject_id=registration.pk,
    )
    return registration


@transaction.atomic
def term_register(*, checkout: Checkout) -> list[Registration]:
    """A paid store checkout of a course's term package: a place for its customer in every session of the
    course still to come (the term package's capacity keeps the class from overfilling)."""
    purchase = checkout.completed_purchase
    customer, payer = checkout.customer, checkout.payer
    made = []
    for course in Course.objects.filter(term_package_id=checkout.package_id, archived_at=None):
        sessions = list(term_sessions_left(course).select_for_update())
        taken = registered_among(customer, sessions)
        registrations = Registration.objects.bulk_create(
            Registration(
                session=session,
                customer=customer,
                registered_by=payer if payer.pk != customer.pk else None,
                by=payer.user,
                paid_with=PaidWith.TERM,
                term_purchase=purchase,
            )
            for session in sessions
            if session.pk not in taken
        )
        if registrations:
            activity_record(
                customer=customer,
                by=payer.user,
                kind=RegistrationEvent.REGISTERED,
                detail=f"“{course.name}” · the term: {len(registrations)} sessions from "
                f"{_when(registrations[0].session)}",
            )
        made += registrations
    return made
