"""What intake forms add to the customers app: the profile's Form responses box (answers waiting for review,
above the tabs) and their events in the Activity Log."""

from accounts.audit import register_audit_actions
from accounts.navigation import Page, register_settings_page
from customers.extend import ActivityKinds, MergeHandler, PersonData, PersonErasure, ProfileBox, register
from intake import privacy
from intake.models import IntakeAudit, IntakeEvent
from intake.views import form_responses_box

register(
    ProfileBox("form_responses", "intake/form_responses_box.html", form_responses_box, order=10, place="top"),
    ActivityKinds("forms", "Forms", dict(IntakeEvent.choices), order=5),
)
register_audit_actions(IntakeAudit)
register_settings_page(Page("intake_forms", "Intake forms", "intake_settings:forms", 50, "settings.change"))
register(MergeHandler("intake", "Form responses waiting", (("intake.PendingChange", "customer"),), order=410))
register(
    PersonData(
        "intake",
        "Intake form answers",
        privacy.submission_rows,
        order=61,
        describe="Form answers that waited for staff.",
    ),
    PersonErasure(
        "intake",
        "Intake form answers",
        privacy.submissions_erase,
        order=61,
        covers=("intake.PendingChange.customer",),
    ),
)
