"""What billing adds to the rest of Roster, registered through the core's extension points: the Settings →
Packages tab, the profile's Payments tab, its kinds of activity event and its audit actions."""

from accounts.audit import register_audit_actions
from accounts.navigation import Page, register_settings_page
from billing.models import PackageAudit, PaymentAccountAudit, PaymentAudit, PaymentEvent
from customers.extend import ActivityKinds, ProfileTab, register

register_settings_page(Page("packages", "Packages", "package_settings:list", 15, "settings.change"))
register_audit_actions(PackageAudit)
register_audit_actions(PaymentAudit)
register(
    ProfileTab("payments", "Payments", "profile_payments:tab", "billing/payments_tab.html", order=40),
    ActivityKinds("payments", "Payments", dict(PaymentEvent.choices), order=45),
)
register_settings_page(Page("payments", "Payments", "payment_settings:account", 16, "payments.connect"))
register_audit_actions(PaymentAccountAudit)
