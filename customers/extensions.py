"""What the roster itself shows through its extension API (customers.extend): the Info and Activity Log tabs,
its own kinds of event and the archive and restore bulk actions; the audit actions its services record; and
Reports in the main menu, whose tabs are the registered reports."""

from dataclasses import dataclass

from accounts.audit import register_audit_actions
from accounts.navigation import Page, register_main_page, register_settings_page
from customers import privacy
from customers.extend import ActivityKinds, BulkAction, PersonData, PersonErasure, ProfileTab, register
from customers.models import Activity, CustomerAudit
from customers.reports import report_namespaces
from customers.services import customers_archive, customers_restore

register(
    ProfileTab("info", "Info", "customers:profile", "customers/info_tab.html", order=0),
    ProfileTab("activity", "Activity Log", "customers:activity", "customers/activity_tab.html", order=1000),
    ActivityKinds("profile", "Profile changes", dict(Activity.Kind.choices), order=0),
    BulkAction("archive", "Archive", "archived", customers_archive, order=10),
    BulkAction("restore", "Restore", "restored", customers_restore, order=20),
    PersonData("profile", "Profile", privacy.profile_rows, order=0, describe="Their details on the roster."),
    PersonData(
        "custom_fields",
        "Custom fields",
        privacy.custom_value_rows,
        order=1,
        describe="The organization's own fields.",
    ),
    PersonData(
        "consents",
        "Consents",
        privacy.consent_rows,
        order=2,
        describe="Marketing emails, and Do not solicit.",
    ),
    PersonData(
        "activity",
        "Activity Log",
        privacy.activity_rows,
        order=900,
        describe="Every change recorded about them.",
    ),
    PersonErasure(
        "custom_fields",
        "Custom fields",
        privacy.custom_values_erase,
        order=10,
        covers=("customers.CustomFieldValue.customer",),
    ),
    PersonErasure(
        "activity", "Activity Log", privacy.activity_erase, order=990, covers=("customers.Activity.customer",)
    ),
    PersonErasure("profile", "Profile", privacy.profile_erase, order=1000),
)
register_audit_actions(CustomerAudit)
register_main_page(
    Page("customers", "Customers", "customers:roster", 0, "customers.view", ("customers", "profile_*"))
)


@dataclass(frozen=True)
class ReportsPage(Page):
    """Reports: marked on every registered report's pages, whichever app draws them."""

    def marks(self, namespace: str) -> bool:
        return namespace in report_namespaces()


register_main_page(ReportsPage("reports", "Reports", "reports:home", 30, "reports.view"))
register_settings_page(
    Page("custom_fields", "Custom fields", "customer_settings:custom_fields", 10, "settings.change")
)
register_settings_page(
    Page("required_fields", "Required fields", "customer_settings:required_fields", 30, "settings.change")
)
