"""Bookings (read, `bookings:read`): a customer's party bookings (for them or booked by them) and class
registrations, as the profile lists them."""

from datetime import datetime

from django.db.models import Q
from ninja import Query, Router, Schema

from api.auth import scoped
from api.common import CursorPage, PageParams, Problem, paginate
from api.resources import customer_of
from bookings.models import Booking, BookingStatus, Registration

router = Router()


class BookingOut(Schema):
    id: int
    package: str
    room: str
    starts_at: datetime
    ends_at: datetime
    status: str
    guests: int
    customer_id: int | None
    booked_by_id: int | None
    cancelled_at: datetime | None
    checked_in_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_package(booking) -> str:
        return booking.package.name

    @staticmethod
    def resolve_room(booking) -> str:
        return booking.room.name


class RegistrationOut(Schema):
    id: int
    course: str
    session_id: int
    starts_at: datetime
    ends_at: datetime
    paid_with: str
    cancelled_at: datetime | None
    checked_in_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_course(registration) -> str:
        return registration.session.course.name

    @staticmethod
    def resolve_starts_at(registration) -> datetime:
        return registration.session.starts_at

    @staticmethod
    def resolve_ends_at(registration) -> datetime:
        return registration.session.ends_at


@router.get(
    "/customers/{customer_id}/bookings/",
    response={200: CursorPage[BookingOut], 403: Problem, 404: Problem, 422: Problem},
    summary="A customer's party bookings",
    description="Parties for the customer or booked by them, in the order booked; holds that were never paid "
    "are left out.",
)
def booking_list(request, customer_id: int, page: Query[PageParams]):
    scoped(request, "bookings")
    customer = customer_of(customer_id)
    bookings = Booking.objects.filter(Q(customer=customer) | Q(booked_by=customer))
    bookings = bookings.exclude(status=BookingStatus.EXPIRED).select_related("package", "room")
    return paginate(request, bookings, page)


@router.get(
    "/customers/{customer_id}/registrations/",
    response={200: CursorPage[RegistrationOut], 403: Problem, 404: Problem, 422: Problem},
    summary="A customer's class registrations",
    description="Their registrations for class sessions, cancelled ones included, oldest first.",
)
def registration_list(request, customer_id: int, page: Query[PageParams]):
    scoped(request, "bookings")
    registrations = Registration.objects.filter(customer=customer_of(customer_id))
    return paginate(request, registrations.select_related("session__course"), page)
