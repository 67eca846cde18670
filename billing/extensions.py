"""What billing adds to the rest of Roster, registered through the core's extension points: the Settings →
Packages tab and the audit actions of packages."""

from accounts.audit import register_audit_actions
from accounts.navigation import Page, register_settings_page
from billing.models import PackageAudit

register_settings_page(Page("packages", "Packages", "package_settings:list", 15, "settings.change"))
register_audit_actions(PackageAudit)
