"""What the roster itself shows through its extension API (customers.extend): the Info and Activity Log tabs,
the Form responses box, its own kinds of event and the archive and restore bulk actions."""

from customers.extend import ActivityKinds, BulkAction, ProfileBox, ProfileTab, register
from customers.intake_views import form_responses_box
from customers.models import Activity
from customers.services import customers_archive_or_restore

register(
    ProfileTab("info", "Info", "customers:profile", "customers/info_tab.html", order=0),
    ProfileTab("activity", "Activity Log", "customers:activity", "customers/activity_tab.html", order=1000),
    ProfileBox(
        "form_responses", "customers/form_responses_box.html", form_responses_box, order=10, place="top"
    ),
    ActivityKinds("profile", "Profile changes", dict(Activity.Kind.choices), order=0),
    BulkAction("archive", "Archive", "archived", customers_archive_or_restore(archive=True), order=10),
    BulkAction("restore", "Restore", "restored", customers_archive_or_restore(archive=False), order=20),
)
