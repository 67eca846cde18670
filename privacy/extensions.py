"""What privacy adds: the profile's Privacy tab, Settings → Privacy, My data in the portal, its kinds of
activity event and audit actions, and its own part of an erasure (the person's exports are deleted)."""

from accounts.audit import register_audit_actions
from accounts.navigation import Page, register_settings_page
from customers.extend import ActivityKinds, MergeHandler, PersonErasure, ProfileTab, register
from portal.navigation import PortalSection, register_portal_section
from privacy.erasure import exports_erase
from privacy.models import PrivacyAudit, PrivacyEvent

register(
    ProfileTab(
        "privacy",
        "Privacy",
        "profile_privacy:tab",
        "privacy/tab.html",
        order=990,
        permission="customers.export",
    ),
    ActivityKinds("privacy", "Privacy", dict(PrivacyEvent.choices), order=90),
    PersonErasure(
        "exports",
        "Data exports",
        exports_erase,
        order=90,
        covers=("privacy.PersonExport.customer", "privacy.ErasureRecord.customer"),
    ),
    MergeHandler(
        "privacy",
        "",  # exports and erasures of the person: bookkeeping, not something staff weigh before a merge
        (("privacy.PersonExport", "customer"), ("privacy.ErasureRecord", "customer")),
        order=700,
    ),
)
register_audit_actions(PrivacyAudit)
register_settings_page(Page("privacy", "Privacy", "privacy_settings:page", 80, "settings.change"))
register_portal_section(PortalSection("my_data", "My data", "privacy_portal:my_data", 90))
