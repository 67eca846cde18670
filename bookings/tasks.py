"""Bookings' work for the worker: the confirmation email of a party, with its calendar file."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.tenancy import tenant_task
from bookings.calendar_files import ics_of
from bookings.models import Booking, BookingStatus
from families.selectors import customer_email


@tenant_task()
def booking_confirmation_send(*, org_id: int, booking_id: int) -> None:
    """Email whoever booked a confirmed party what, when, where and for whom, with an .ics to add it to
    their calendar and the link to their bookings."""
    booking = Booking.objects.select_related("organization", "package", "room", "booked_by__user").get(
        pk=booking_id
    )
    email = customer_email(booking.booked_by) if booking.booked_by else ""
    if booking.status != BookingStatus.CONFIRMED or not email:
        return
    organization = booking.organization
    path = reverse("book:booking", kwargs={"org_slug": organization.slug, "pk": booking.pk})
    with timezone.override(organization.time_zone):
        body = render_to_string(
            "bookings/email/confirmation.txt",
            {"booking": booking, "organization": organization, "url": settings.SITE_URL + path},
        )
    message = EmailMessage(
        subject=f"Your party at {' '.join(organization.name.split())} is booked", body=body, to=[email]
    )
    message.attach("party.ics", ics_of([booking], organization), "text/calendar")
    message.send()
