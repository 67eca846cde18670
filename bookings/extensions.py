"""What bookings add to the rest of Roster, registered through the core's extension points. Classes:
Settings → Classes, the Classes menu page, the portal's Classes section, registrations in the Activity Log
and course changes in the audit log; a paid store checkout of a course's term package registers for its
sessions."""

from accounts.audit import register_audit_actions
from accounts.navigation import Page, register_main_page, register_settings_page
from billing.models import Checkout
from billing.spots import checkout_paid
from bookings.class_services import term_register
from bookings.models import CourseAudit, RegistrationEvent
from customers.extend import ActivityKinds, register
from portal.navigation import PortalSection, register_portal_section


def _term_paid(sender, checkout, **kwargs):
    term_register(checkout=checkout)


checkout_paid.connect(_term_paid, sender=Checkout, dispatch_uid="bookings.term_paid")
register(ActivityKinds("classes", "Classes", dict(RegistrationEvent.choices), order=60))
register_audit_actions(CourseAudit)
register_settings_page(Page("classes", "Classes", "class_settings:list", 18, "settings.change"))
register_main_page(Page("classes", "Classes", "classes:index", 12, "customers.view", ("classes",)))
register_portal_section(PortalSection("classes", "Classes", "class_portal:page", 15))
