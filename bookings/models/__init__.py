"""Bookings: rooms and opening hours (places), parties and their bookings (parties), classes with their
sessions and registrations (classes)."""

from bookings.models.classes import (
    Course,
    CourseAudit,
    CoursePass,
    CourseWaiver,
    PaidWith,
    Registration,
    RegistrationEvent,
    Session,
)
from bookings.models.parties import (
    LIVE_STATUSES,
    Booking,
    BookingAudit,
    BookingChannel,
    BookingEvent,
    BookingStatus,
    PartyPackage,
    PartyRoom,
    PartyWaiver,
)
from bookings.models.places import Blackout, BookingSettings, OpeningHours, Room, Weekday

__all__ = [
    "LIVE_STATUSES",
    "Blackout",
    "Booking",
    "BookingAudit",
    "BookingChannel",
    "BookingEvent",
    "BookingSettings",
    "BookingStatus",
    "Course",
    "CourseAudit",
    "CoursePass",
    "CourseWaiver",
    "OpeningHours",
    "PaidWith",
    "PartyPackage",
    "PartyRoom",
    "PartyWaiver",
    "Registration",
    "RegistrationEvent",
    "Room",
    "Session",
    "Weekday",
]
