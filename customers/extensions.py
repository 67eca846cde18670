"""What the roster itself shows through its extension API (customers.extend): the Info and Activity Log tabs,
its own kinds of event and the archive and restore bulk actions; the audit actions its services record; and
Reports in the main menu, whose tabs are the registered reports."""

from dataclasses import dataclass

from accounts.audit import register_audit_actions
from accounts.navigation import Page, register_main_page, register_settings_page
from customers.extend import ActivityKinds, BulkAction, MergeHandler, ProfileTab, register
from customers.merge import UndoRecord, stays
from customers.models import Activity, CustomerAudit, CustomFieldValue
from customers.reports import report_namespaces
from customers.services import customers_archive, customers_restore


def _drop_custom_values(*, merged, survivor, record) -> UndoRecord:
    undo = UndoRecord()
    undo.delete(CustomFieldValue.objects.filter(customer=merged))
    return undo


register(
    ProfileTab("info", "Info", "customers:profile", "customers/info_tab.html", order=0),
    ProfileTab("activity", "Activity Log", "customers:activity", "customers/activity_tab.html", order=1000),
    ActivityKinds("profile", "Profile changes", dict(Activity.Kind.choices), order=0),
    BulkAction("archive", "Archive", "archived", customers_archive, order=10),
    BulkAction("restore", "Restore", "restored", customers_restore, order=20),
    MergeHandler("activity", "Activity events", (("customers.Activity", "customer"),), order=900),
    MergeHandler(
        "custom_values",
        "",  # the survivor's values are the fields chosen on the preview, not rows that move
        (("customers.CustomFieldValue", "customer"),),
        order=10,
        move=_drop_custom_values,
    ),
    # Earlier merges into the merged customer now point at the survivor, so their old links still lead home.
    MergeHandler("tombstones", "", (("customers.Customer", "merged_into"),), order=20),
    MergeHandler("merges", "", (("customers.Merge", "survivor"), ("customers.Merge", "merged")), 30, stays),
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
