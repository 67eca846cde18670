"""What waivers add to the rest of Roster, registered through the core's extension points: Settings → Waivers,
the front desk's signing tablet in the main menu, the profile's Waivers tab, the roster's *missing waiver*
mark, the portal's Waivers page, its kinds of activity event and its audit actions. Other apps say which
waivers a customer needs through `waivers.extend`."""

from accounts.audit import register_audit_actions
from accounts.navigation import Page, register_main_page, register_settings_page
from customers.extend import (
    ActivityKinds,
    MergeHandler,
    PersonData,
    PersonErasure,
    ProfileTab,
    RowMark,
    mark_badge,
    register,
)
from portal.navigation import PortalSection, register_portal_section
from waivers import privacy
from waivers.models import WaiverAudit, WaiverEvent, WaiverSignature
from waivers.selectors import with_missing_waivers


def _missing_waiver_mark(customer) -> str:
    """A "missing waiver" badge beside the name, which waivers and why in its tooltip."""
    if not customer.missing_waivers:
        return ""
    which = "; ".join(f"{template.name} ({reason})" for template, reason in customer.missing_waivers)
    return mark_badge("missing waiver", "text-bg-danger missing-waiver-mark", which)


register_settings_page(Page("waivers", "Waivers", "waiver_settings:list", 30, "settings.change"))
register_main_page(
    Page("waiver_kiosk", "Sign waivers", "waiver_kiosk:pick", 27, "customers.change", ("waiver_kiosk",))
)
register_audit_actions(WaiverAudit)
register(
    ProfileTab("waivers", "Waivers", "profile_waivers:tab", "waivers/tab.html", order=35),
    RowMark("missing_waiver", _missing_waiver_mark, with_missing_waivers, order=30),
    ActivityKinds("waivers", "Waivers", dict(WaiverEvent.choices), order=35),
)
register_portal_section(PortalSection("waivers", "Waivers", "waivers:mine", 22))
# Signed copies move by their customer and signer only, which the signature trigger allows between a tombstone
# and the customer it was merged into (waivers/migrations/0002); what was signed never changes.
register(
    MergeHandler(
        "waivers",
        "Signed waivers",
        (
            ("waivers.WaiverSignature", "customer"),
            ("waivers.WaiverSignature", "signer"),
            ("waivers.WaiverRequest", "signer"),
            ("waivers.WaiverRequest", "for_customer"),
        ),
        order=500,
        count=lambda customer: WaiverSignature.objects.filter(customer=customer).count(),
    ),
    PersonData(
        "waivers", "Waivers", privacy.waiver_rows, order=70, describe="Waivers signed by or for them."
    ),
    PersonErasure(
        "waivers",
        "Waivers",
        privacy.waivers_erase,
        order=70,
        covers=(
            "waivers.WaiverSignature.customer",
            "waivers.WaiverSignature.signer",
            "waivers.WaiverRequest.signer",
            "waivers.WaiverRequest.for_customer",
        ),
    ),
)
