"""What bookings add to the rest of Roster, registered through the core's extension points. Parties: the
Calendar in the main menu, Settings → Booking, the profile's Bookings tab, the family view's Bookings
section, the portal's Bookings page, and confirming an online booking when billing says its deposit is paid.
Classes: Settings → Classes, the Classes menu page, the portal's Classes section, and a paid store checkout
of a course's term package registering for its sessions. Both: their kinds of activity event and audit
actions."""

from accounts.audit import register_audit_actions
from accounts.navigation import Page, register_main_page, register_settings_page
from billing.models import Checkout
from billing.spots import checkout_paid
from bookings import privacy
from bookings.class_services import term_register
from bookings.merging import bookings_count, registration_problems
from bookings.models import BookingAudit, BookingEvent, CourseAudit, RegistrationEvent
from bookings.selectors import bookings_of, waivers_needed
from bookings.services import booking_paid
from customers.extend import ActivityKinds, MergeHandler, PersonData, PersonErasure, ProfileTab, register
from families.extend import FamilySection, register_family_section
from portal.navigation import PortalSection, register_portal_section
from waivers.extend import register_requirement

register_main_page(Page("calendar", "Calendar", "bookings:calendar", 5, "customers.view", ("bookings",)))
register_settings_page(Page("booking", "Booking", "booking_settings:page", 17, "settings.change"))
register_audit_actions(BookingAudit)
register_requirement(waivers_needed)
register_portal_section(PortalSection("bookings", "Bookings", "book:mine", 15))


def _family_bookings(request, household) -> dict:
    people = list(household.people)
    return {
        "upcoming": bookings_of(people, upcoming=True),
        "history": bookings_of(people, upcoming=False)[:20],
    }


register(
    ProfileTab(
        "bookings",
        "Bookings",
        "profile_bookings:tab",
        "bookings/bookings_tab.html",
        order=38,
    ),
    ActivityKinds("bookings", "Bookings", dict(BookingEvent.choices), order=44),
)
register_family_section(
    FamilySection(
        "bookings", "Bookings", "bookings/family_bookings.html", _family_bookings, 5, "customers.view"
    )
)


def _deposit_paid(sender, checkout, **kwargs):
    booking_paid(checkout=checkout)


checkout_paid.connect(_deposit_paid, sender=Checkout, dispatch_uid="bookings.deposit_paid")


def _term_paid(sender, checkout, **kwargs):
    term_register(checkout=checkout)


checkout_paid.connect(_term_paid, sender=Checkout, dispatch_uid="bookings.term_paid")
register(ActivityKinds("classes", "Classes", dict(RegistrationEvent.choices), order=60))
register_audit_actions(CourseAudit)
register_settings_page(Page("classes", "Classes", "class_settings:list", 18, "settings.change"))
register_main_page(Page("classes", "Classes", "classes:index", 12, "customers.view", ("classes",)))
register_portal_section(PortalSection("classes", "Classes", "class_portal:page", 15))
register(
    MergeHandler(
        "bookings",
        "Bookings and class places",
        (
            ("bookings.Booking", "customer"),
            ("bookings.Booking", "booked_by"),
            ("bookings.Registration", "customer"),
            ("bookings.Registration", "registered_by"),
        ),
        order=600,
        problems=registration_problems,
        count=bookings_count,
    ),
    PersonData(
        "bookings",
        "Party bookings",
        privacy.booking_rows,
        order=71,
        describe="Parties booked by or for them.",
    ),
    PersonData(
        "classes", "Class registrations", privacy.registration_rows, order=72, describe="Class places."
    ),
    PersonErasure(
        "bookings",
        "Bookings and classes",
        privacy.bookings_erase,
        order=71,
        covers=(
            "bookings.Registration.customer",
            "bookings.Registration.registered_by",
            "bookings.Booking.customer",
            "bookings.Booking.booked_by",
        ),
    ),
)
