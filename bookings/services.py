"""Writes of parties: rooms, the booking rules and party packages (admins), and bookings — made online
(held while the deposit is paid) or at the desk, moved, cancelled and checked in."""

import datetime

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audit_record, changes_of
from accounts.models import User
from accounts.money import format_minor
from accounts.tenancy import required_organization
from billing import card_services
from billing import services as billing_services
from billing.charging import SaleError
from billing.credit_services import credit_issue
from billing.models import CreditKind, Package, PackageKind, Visibility
from bookings.models import (
    Blackout,
    Booking,
    BookingAudit,
    BookingChannel,
    BookingEvent,
    BookingSettings,
    BookingStatus,
    OpeningHours,
    PartyPackage,
    Room,
)
from bookings.selectors import booking_settings, forget_waiver_links, slot_is_offered, when
from bookings.tasks import booking_confirmation_send
from customers.models import Customer
from customers.services import activity_record


class BookingError(Exception):
    """Why a booking cannot be made or changed, in words for the person trying."""


@transaction.atomic
def room_save(*, room: Room, by: User) -> Room:
    created = room.pk is None
    changes = changes_of(room, ["name", "guests"])
    room.save()
    if created or changes:
        audit_record(action=BookingAudit.ROOM_SAVED, by=by, target=room.name, changes=changes)
    return room


@transaction.atomic
def room_archive(*, room: Room, archive: bool, by: User) -> None:
    """Out of use (kept for the parties held in it), or back in use."""
    room.archived_at = timezone.now() if archive else None
    room.save(update_fields=["archived_at"])
    audit_record(
        action=BookingAudit.ROOM_SAVED, by=by, target=room.name, detail="archived" if archive else "restored"
    )


@transaction.atomic
def booking_settings_save(
    *, rules: BookingSettings, hours: dict[int, tuple[datetime.time, datetime.time] | None], by: User
) -> None:
    """The booking rules and the weekly opening hours (None: closed that day)."""
    changes = changes_of(
        rules, ["slot_minutes", "buffer_minutes", "hold_minutes", "days_ahead", "cancel_hours"]
    )
    rules.save()
    before = {row.weekday: row for row in OpeningHours.objects.all()}
    for weekday, span in hours.items():
        row = before.get(weekday)
        if span is None:
            if row is not None:
                row.delete()
                changes[f"Day {weekday}"] = [f"{row.opens:%H:%M}–{row.closes:%H:%M}", "closed"]
            continue
        opens, closes = span
        if row is None or (row.opens, row.closes) != (opens, closes):
            OpeningHours.objects.update_or_create(
                weekday=weekday, defaults={"opens": opens, "closes": closes}
            )
            changes[f"Day {weekday}"] = [
                f"{row.opens:%H:%M}–{row.closes:%H:%M}" if row else "closed",
                f"{opens:%H:%M}–{closes:%H:%M}",
            ]
    audit_record(action=BookingAudit.SETTINGS_CHANGED, by=by, changes=changes)


@transaction.atomic
def blackout_set(*, date: datetime.date, reason: str, closed: bool, by: User) -> None:
    """Close a day for online booking (a holiday), or open it again."""
    if closed:
        Blackout.objects.update_or_create(date=date, defaults={"reason": " ".join(reason.split())})
    else:
        Blackout.objects.filter(date=date).delete()
    audit_record(
        action=BookingAudit.SETTINGS_CHANGED,
        by=by,
        target=f"{date:%b %-d, %Y}",
        detail="closed" if closed else "open again",
    )


@transaction.atomic
def party_package_save(
    *, package: PartyPackage, rooms: list[Room], by: User, waivers: list | None = None
) -> PartyPackage:
    """Add or change a party package, the rooms it is held in and the waivers it needs; its deposit is a
    billing package named after it, sold only with its bookings."""
    created = package.pk is None
    changes = changes_of(package, ["name", "minutes", "max_guests", "price", "deposit"])
    package.currency = package.currency or required_organization("a party package").currency
    deposit = package.deposit_package or Package(
        kind=PackageKind.ONE_TIME, visibility=Visibility.BOOKING, currency=package.currency
    )
    deposit.name = f"Deposit: {package.name}"[:120]
    deposit.description = f"The deposit that books “{package.name}”."
    deposit.price = package.deposit
    deposit.archived_at = package.archived_at
    package.deposit_package = billing_services.package_save(package=deposit, by=by)
    package.save()
    package.rooms.set(rooms, through_defaults={"organization_id": package.organization_id})
    if waivers is not None:
        package.waivers.set(waivers, through_defaults={"organization_id": package.organization_id})
        forget_waiver_links()
    if created or changes:
        audit_record(
            action=BookingAudit.PACKAGE_SAVED,
            by=by,
            target=package.name,
            detail=package.deposit_display if created else "",
            changes=changes,
        )
    return package


def _described(booking: Booking) -> str:
    guests = f"{booking.guests} guest{'s' if booking.guests != 1 else ''}"
    return f"{booking.package.name}, {when(booking.starts_at)} in {booking.room.name}, {guests}"


def _check_fit(package: PartyPackage, room: Room, guests: int) -> None:
    if not package.rooms.filter(pk=room.pk).exists() or room.archived_at is not None:
        raise BookingError(f"“{package.name}” is not held in {room.name}.")
    limit = min(package.max_guests, room.guests)
    if not 1 <= guests <= limit:
        raise BookingError(f"“{package.name}” in {room.name} is for 1 to {limit} guests.")


def _timed(booking: Booking, starts_at: datetime.datetime) -> None:
    booking.starts_at = starts_at
    booking.ends_at = starts_at + datetime.timedelta(minutes=booking.package.minutes)
    booking.free_at = booking.ends_at + datetime.timedelta(minutes=booking_settings().buffer_minutes)


def _placed(booking: Booking) -> Booking:
    """Save `booking` in its room under the room's row lock: holds whose time ran out give their slot back
    first, and the database refuses an overlap with any live booking."""
    Room.objects.select_for_update().get(pk=booking.room_id)
    Booking.objects.filter(
        room_id=booking.room_id, status=BookingStatus.HELD, held_until__lte=timezone.now()
    ).update(status=BookingStatus.EXPIRED)
    try:
        with transaction.atomic():
            booking.save()
    except IntegrityError as clash:
        if "booking_room_not_double_booked" not in str(clash):
            raise
        raise BookingError(
            f"{booking.room.name} is taken at {when(booking.starts_at)}: pick another time or room."
        ) from None
    return booking


def _record(booking: Booking, kind: str, by, detail: str = "", changes: dict | None = None) -> None:
    """The event on the Activity Log of the customer the party is for, and of whoever booked it."""
    for person in {booking.customer, booking.booked_by} - {None}:
        activity_record(
            customer=person,
            by=by,
            kind=kind,
            detail=detail or _described(booking),
            changes=changes,
            subject_id=booking.pk,
        )


@transaction.atomic
def booking_create(
    *,
    package: PartyPackage,
    room: Room,
    starts_at: datetime.datetime,
    customer: Customer,
    booked_by: Customer,
    guests: int,
    note: str = "",
    by: User,
) -> Booking:
    """Book a party at the desk: confirmed at once (the deposit, if any, is taken at the desk or later), at
    any time the room is free — staff may book outside the online opening hours."""
    _check_fit(package, room, guests)
    booking = Booking(
        package=package,
        room=room,
        customer=customer,
        customer_label=customer.full_name,
        booked_by=booked_by,
        booked_by_label=booked_by.full_name,
        guests=guests,
        note=" ".join(note.split()),
        channel=BookingChannel.STAFF,
        status=BookingStatus.CONFIRMED,
        created_by=by,
    )
    _timed(booking, starts_at)
    _placed(booking)
    _record(booking, BookingEvent.CREATED, by)
    booking_confirmation_send.delay_on_commit(org_id=booking.organization_id, booking_id=booking.pk)
    return booking


@transaction.atomic
def booking_online_start(
    *,
    package: PartyPackage,
    room: Room,
    starts_at: datetime.datetime,
    customer: Customer,
    booked_by: Customer,
    guests: int,
    note: str = "",
) -> Booking:
    """A customer books a party online: the slot is held for them while they pay its deposit by card (the
    booking's `checkout`); paid, it is confirmed (booking_paid). A package without a deposit is confirmed at
    once. Only the slots the booking page offers may be taken."""
    _check_fit(package, room, guests)
    if not slot_is_offered(package, room, starts_at, guests):
        raise BookingError(f"{when(starts_at)} is no longer free in {room.name}: pick another time.")
    rules = booking_settings()
    deposit = package.deposit > 0
    booking = Booking(
        package=package,
        room=room,
        customer=customer,
        customer_label=customer.full_name,
        booked_by=booked_by,
        booked_by_label=booked_by.full_name,
        guests=guests,
        note=" ".join(note.split()),
        channel=BookingChannel.ONLINE,
        status=BookingStatus.HELD if deposit else BookingStatus.CONFIRMED,
        held_until=timezone.now() + datetime.timedelta(minutes=rules.hold_minutes) if deposit else None,
        created_by=booked_by.user,
    )
    _timed(booking, starts_at)
    _placed(booking)
    if not deposit:
        _record(booking, BookingEvent.CREATED, booked_by.user)
        booking_confirmation_send.delay_on_commit(org_id=booking.organization_id, booking_id=booking.pk)
        return booking
    try:
        booking.checkout = card_services.store_checkout_start(
            package=package.deposit_package,
            customer=customer,
            payer=booked_by,
            invited=True,
            return_path=reverse(
                "book:booking", kwargs={"org_slug": booking.organization.slug, "pk": booking.pk}
            ),
        )
    except SaleError as refusal:
        raise BookingError(str(refusal)) from None
    booking.save(update_fields=["checkout"])
    return booking


@transaction.atomic
def booking_paid(*, checkout) -> None:
    """The deposit of an online booking was paid (billing's checkout_paid, inside its transaction): the
    party is confirmed. Should its hold have run out and the slot gone to someone else meanwhile, the
    deposit goes straight back and the booking says why."""
    booking = Booking.objects.select_for_update().filter(checkout=checkout).first()
    if booking is None or booking.status == BookingStatus.CONFIRMED:
        return
    booking.deposit_purchase = checkout.completed_purchase
    booking.status = BookingStatus.CONFIRMED
    booking.held_until = None
    try:
        _placed(booking)
    except BookingError:
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = timezone.now()
        booking.cancel_reason = "The time was taken while the deposit was paid; the deposit is refunded."
        booking.save()
        payment = checkout.completed_purchase.payments.get()
        billing_services.payment_refund(
            payment=payment, amount=payment.refundable, reason=booking.cancel_reason, by=None
        )
        _record(
            booking, BookingEvent.CANCELLED, None, detail=f"{_described(booking)}: {booking.cancel_reason}"
        )
        return
    paid = format_minor(checkout.amount, checkout.currency)
    _record(
        booking,
        BookingEvent.CREATED,
        checkout.payer.user,
        detail=f"{_described(booking)}; deposit {paid} paid",
    )
    booking_confirmation_send.delay_on_commit(org_id=booking.organization_id, booking_id=booking.pk)


@transaction.atomic
def booking_move(*, booking: Booking, room: Room, starts_at: datetime.datetime, by: User) -> Booking:
    """Move a party to another time or room, if the room is free then."""
    booking = Booking.objects.select_for_update().select_related("package", "room").get(pk=booking.pk)
    if booking.status != BookingStatus.CONFIRMED:
        raise BookingError("Only a confirmed booking can be moved.")
    _check_fit(booking.package, room, booking.guests)
    before = f"{when(booking.starts_at)} in {booking.room.name}"
    booking.room = room
    _timed(booking, starts_at)
    _placed(booking)
    after = f"{when(booking.starts_at)} in {room.name}"
    if before != after:
        _record(booking, BookingEvent.CHANGED, by, changes={"When": [before, after]})
    return booking


class Deposit:
    """What becomes of a paid deposit when a party is cancelled."""

    REFUND = "refund"
    CREDIT = "credit"
    KEEP = "keep"
    CHOICES = [
        (REFUND, "Refund it to the card"),
        (CREDIT, "Give it as credit"),
        (KEEP, "Keep it"),
    ]


@transaction.atomic
def booking_cancel(*, booking: Booking, reason: str, deposit: str, by: User) -> Booking:
    """Cancel a party, giving its deposit back to the card, as credit to whoever booked it, or keeping it."""
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("package", "room", "booked_by")
        .get(pk=booking.pk)
    )
    reason = " ".join(reason.split())
    if booking.status == BookingStatus.CANCELLED:
        raise BookingError("This booking is already cancelled.")
    if not reason:
        raise BookingError("Say why the party is cancelled.")
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = timezone.now()
    booking.cancel_reason = reason
    booking.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    payment = booking.deposit_purchase.payments.first() if booking.deposit_purchase_id else None
    outcome = ""
    if payment is not None and payment.refundable and deposit == Deposit.REFUND:
        billing_services.payment_refund(payment=payment, amount=payment.refundable, reason=reason, by=by)
        outcome = f"; deposit {format_minor(payment.refundable, payment.currency)} refunded"
    elif payment is not None and payment.refundable and deposit == Deposit.CREDIT and booking.booked_by:
        credit_issue(
            customer=booking.booked_by,
            amount=payment.refundable,
            kind=CreditKind.REFUND,
            reason=reason,
            by=by,
        )
        outcome = f"; deposit {format_minor(payment.refundable, payment.currency)} given as credit"
    _record(booking, BookingEvent.CANCELLED, by, detail=f"{_described(booking)}: {reason}{outcome}")
    audit_record(action=BookingAudit.CANCELLED, by=by, target=_described(booking), detail=reason + outcome)
    return booking


@transaction.atomic
def booking_check_in(*, booking: Booking, guests_arrived: int, by: User) -> Booking:
    """The party has arrived, with so many guests."""
    booking = Booking.objects.select_for_update().select_related("package", "room").get(pk=booking.pk)
    if booking.status != BookingStatus.CONFIRMED:
        raise BookingError("Only a confirmed booking can be checked in.")
    if not 0 <= guests_arrived <= 1000:
        raise BookingError("Count the guests who arrived: 0 to 1,000.")
    first = booking.checked_in_at is None
    booking.checked_in_at = booking.checked_in_at or timezone.now()
    booking.guests_arrived = guests_arrived
    booking.save(update_fields=["checked_in_at", "guests_arrived"])
    if first:
        _record(
            booking, BookingEvent.CHECKED_IN, by, detail=f"{_described(booking)}; {guests_arrived} arrived"
        )
    return booking
