"""How a merge treats bookings and class places: they follow the customer (for whom, and who booked);
the names they were made under stay as written. Two places in the same class session block the merge until
staff cancel one (it decides what is refunded or punched back)."""

from django.db.models import Q

from bookings.models import Booking, Registration


def registration_problems(*, merged, survivor) -> list[str]:
    live = Registration.objects.filter(cancelled_at=None)
    both = live.filter(customer=merged, session__in=live.filter(customer=survivor).values("session"))
    return [
        f"Both have a place in {registration.session}: cancel one of them first."
        for registration in both.select_related("session")
    ]


def bookings_count(customer) -> int:
    parties = Booking.objects.filter(Q(customer=customer) | Q(booked_by=customer)).count()
    return parties + Registration.objects.filter(customer=customer).count()
