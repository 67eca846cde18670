"""What the roster itself shows through its extension API (customers.extend): the Info and Activity Log tabs,
its own kinds of event and the archive and restore bulk actions; the audit actions its services record; and
Reports in the main menu, whose tabs are the registered reports."""

from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from accounts.audit import register_audit_actions
from accounts.navigation import Page, register_main_page, register_settings_page
from customers import privacy
from customers.duplicate_views import profile_box
from customers.extend import (
    ActivityKinds,
    BulkAction,
    MergeHandler,
    PersonData,
    PersonErasure,
    ProfileBox,
    ProfileTab,
    register,
)
from customers.merge import UndoRecord, stays
from customers.models import (
    Activity,
    CustomerAudit,
    CustomFieldValue,
    DuplicateEvent,
    DuplicatePair,
    DuplicateStatus,
)
from customers.reports import report_namespaces
from customers.services import customers_archive, customers_restore


def _drop_custom_values(*, merged, survivor, record) -> UndoRecord:
    undo = UndoRecord()
    undo.delete(CustomFieldValue.objects.filter(customer=merged))
    return undo


def _settle_duplicate_pairs(*, merged, survivor, record) -> UndoRecord:
    """The pair of the two is decided (merged); the merged customer's other pairs go, as its tombstone is off
    the roster (the next scan pairs the survivor afresh)."""
    undo = UndoRecord()
    theirs = Q(customer_a=merged) | Q(customer_b=merged)
    both = Q(customer_a__in=(merged, survivor), customer_b__in=(merged, survivor))
    for pair in undo.keep(DuplicatePair.objects.filter(theirs & both)):
        pair.status, pair.decided_at = DuplicateStatus.MERGED, timezone.now()
        pair.decided_by_id = record.by_id
        pair.save(update_fields=["status", "decided_by", "decided_at"])
    undo.delete(DuplicatePair.objects.filter(theirs).exclude(both))
    return undo


register(
    ProfileTab("info", "Info", "customers:profile", "customers/info_tab.html", order=0),
    ProfileTab("activity", "Activity Log", "customers:activity", "customers/activity_tab.html", order=1000),
    ActivityKinds("profile", "Profile changes", dict(Activity.Kind.choices), order=0),
    ActivityKinds("duplicates", "Duplicates", dict(DuplicateEvent.choices), order=5),
    ProfileBox("duplicates", "customers/duplicate_box.html", profile_box, order=0, place="top"),
    BulkAction("archive", "Archive", "archived", customers_archive, order=10),
    BulkAction("restore", "Restore", "restored", customers_restore, order=20),
    MergeHandler(
        "duplicate_pairs",
        "",
        (("customers.DuplicatePair", "customer_a"), ("customers.DuplicatePair", "customer_b")),
        order=40,
        move=_settle_duplicate_pairs,
    ),
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
    PersonErasure(
        "merges",
        "Merges and duplicates",
        privacy.merges_erase,
        order=980,
        covers=(
            "customers.Customer.merged_into",
            "customers.Merge.survivor",
            "customers.Merge.merged",
            "customers.DuplicatePair.customer_a",
            "customers.DuplicatePair.customer_b",
        ),
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
    Page("duplicates", "Duplicates", "customer_settings:duplicates", 35, "customers.merge")
)
register_settings_page(
    Page("required_fields", "Required fields", "customer_settings:required_fields", 30, "settings.change")
)
