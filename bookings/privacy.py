"""Bookings' part of a person's export and erasure: parties they booked or are the guest of honour at, and
their class registrations. Both are part of the business's sales records (deposits, passes, terms), so an
erasure keeps them with the name replaced and their notes cleared of it."""

from django.db.models import Q

from bookings.models import Booking, Registration
from customers.extend import ErasureLine
from customers.privacy import ERASED_LABEL, identifiers, rows_of, scrub_rows

KEPT_WHY = "Sales records (deposits, passes, terms paid): kept with the person's name replaced."


def booking_rows(customer, *, include_notes: bool) -> list[dict]:
    bookings = Booking.objects.filter(Q(customer=customer) | Q(booked_by=customer)).order_by("starts_at")
    return rows_of(
        bookings,
        [
            "package__name",
            "room__name",
            "starts_at",
            "ends_at",
            "customer_label",
            "booked_by_label",
            "guests",
            "status",
            "note",
        ],
    )


def registration_rows(customer, *, include_notes: bool) -> list[dict]:
    registrations = Registration.objects.filter(customer=customer).order_by("session__starts_at")
    return rows_of(
        registrations,
        ["session__course__name", "session__starts_at", "paid_with", "cancelled_at", "checked_in_at"],
    )


def bookings_erase(customer) -> list[ErasureLine]:
    needles = identifiers(customer)
    bookings = Booking.objects.filter(Q(customer=customer) | Q(booked_by=customer))
    count = bookings.count()
    scrub_rows(Booking.objects.filter(pk__in=bookings.values("pk")), ["note", "cancel_reason"], needles)
    Booking.objects.filter(customer=customer).update(customer_label=ERASED_LABEL)
    Booking.objects.filter(booked_by=customer).update(booked_by_label=ERASED_LABEL)
    registrations = Registration.objects.filter(Q(customer=customer) | Q(registered_by=customer)).count()
    return [
        ErasureLine("Party bookings", "kept", count, KEPT_WHY),
        ErasureLine("Class registrations", "kept", registrations, KEPT_WHY),
    ]
