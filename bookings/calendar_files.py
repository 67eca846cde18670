"""Bookings as calendar files (.ics, RFC 5545) for "Add to calendar" and the confirmation email."""

from icalendar import Calendar, Event

from bookings.models import Booking


def ics_of(bookings: list[Booking], organization) -> bytes:
    """One event per party, named for whom and where; its UID stays the same when the party moves, so a
    calendar that imports it again updates the event instead of adding one."""
    cal = Calendar()
    cal.add("prodid", "-//Roster//Bookings//EN")
    cal.add("version", "2.0")
    for booking in bookings:
        event = Event()
        event.add("uid", f"booking-{booking.pk}@{organization.slug}.roster")
        event.add("summary", f"{booking.package.name} for {booking.customer_label}")
        event.add("dtstart", booking.starts_at)
        event.add("dtend", booking.ends_at)
        event.add("dtstamp", booking.created_at)
        event.add("location", f"{organization.name}, {booking.room.name}")
        event.add("status", "CANCELLED" if booking.status == "cancelled" else "CONFIRMED")
        cal.add_component(event)
    return cal.to_ical()
