"""Settings → Audit log: every change to an organization's setup or access is recorded by the service that
makes it, with who did it. The page that reads them is tests/test_audit_page.py."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from accounts import services as account_services
from accounts.audit import audit_action_choices, register_audit_actions
from accounts.models import AuditAction, AuditEvent, Membership, Role, StaffInvitation
from accounts.tenancy import tenant
from api.models import ApiKey, ApiKeyAudit
from customers.models import Activity, CustomerAudit, CustomField, FieldType
from imports.models import ImportAudit, ImportJob
from intake.models import IntakeAudit, IntakeForm
from invites.models import InviteAudit
from metrics.models import Metric, MetricAudit
from tags.models import Tag, TagAudit
from tags.services import tag_add, tag_save
from tests.audit_helpers import file_name
from tests.conftest import logged_in, make_member, make_user
from tests.custom_field_helpers import make_field
from tests.factories import customer
from tests.import_helpers import confirm, upload, work
from tests.inbox import csv_rows


class Trail:
    """An organization's audit events a few at a time: `new()` is what was recorded since last asked."""

    def __init__(self, organization):
        self.organization, self.seen = organization, 0

    def new(self) -> list[AuditEvent]:
        with tenant(self.organization):
            events = list(AuditEvent.objects.order_by("id")[self.seen :])
        self.seen += len(events)
        return events

    def one(self, action: str, by, target: str) -> AuditEvent:
        """Exactly one event was recorded since last asked: this one."""
        events = self.new()
        assert [(event.action, event.actor_id, event.target) for event in events] == [
            (action, by.pk if by else None, target)
        ]
        return events[0]

    def none(self) -> None:
        assert [event.action for event in self.new()] == []


@pytest.fixture
def trail(org_a) -> Trail:
    trail = Trail(org_a)
    trail.new()  # from here on
    return trail


# Staff and access -------------------------------------------------------------------------------------------


def test_staff_invitations_roles_and_removals_are_recorded_with_who_did_them(
    alice, alice_client, org_a, trail
):
    staff = f"/app/{org_a.slug}/settings/staff/"
    assert alice_client.post(staff, {"email": "Tom@Alpha.example", "role": "admin"}).status_code == 302
    event = trail.one(AuditAction.STAFF_INVITED, alice, "tom@alpha.example")
    assert event.detail == "As Admin" and event.actor_label == "Alice Anders (alice@alpha.example)"
    with tenant(org_a):
        invitation = StaffInvitation.objects.get()
    alice_client.post(f"{staff}invitations/{invitation.pk}/resend/")
    assert trail.one(AuditAction.STAFF_INVITED, alice, "tom@alpha.example").detail == "As Admin, sent again"
    alice_client.post(f"{staff}invitations/{invitation.pk}/revoke/")
    trail.one(AuditAction.STAFF_INVITATION_REVOKED, alice, "tom@alpha.example")

    alice_client.post(staff, {"email": "uma@alpha.example", "role": "staff"})
    trail.new()
    with tenant(org_a):
        invitation = StaffInvitation.objects.get(email="uma@alpha.example")
        token = account_services.staff_invitation_issue_token(invitation=invitation)
    uma = make_user("uma@alpha.example")
    assert logged_in(uma).post(f"/{org_a.slug}/join/{token}/").status_code == 302
    assert trail.one(AuditAction.STAFF_JOINED, uma, "uma@alpha.example").detail == "As Staff, by invitation"

    with tenant(org_a):
        membership = Membership.objects.get(user=uma)
    alice_client.post(f"{staff}{membership.pk}/role/", {"role": "admin"})
    assert trail.one(AuditAction.ROLE_CHANGED, alice, "uma@alpha.example").changes == {
        "Role": ["Staff", "Admin"]
    }
    alice_client.post(f"{staff}{membership.pk}/role/", {"role": "admin"})  # no change, nothing to record
    trail.none()
    alice_client.post(f"{staff}{membership.pk}/remove/")
    assert trail.one(AuditAction.STAFF_REMOVED, alice, "uma@alpha.example").detail == "Was Admin"


def test_a_refused_staff_change_records_nothing(alice, org_a, trail):
    admin = make_member(org_a, Role.ADMIN, "ada@alpha.example")
    client = logged_in(admin)
    staff = f"/app/{org_a.slug}/settings/staff/"
    with tenant(org_a):
        owner = Membership.objects.get(user=alice)
    client.post(f"{staff}{owner.pk}/role/", {"role": "staff"})  # only an owner may take the owner role away
    client.post(f"{staff}{owner.pk}/remove/")
    client.post(staff, {"email": "alice@alpha.example", "role": "staff"})  # already on the staff
    client.post(staff, {"email": "not an address", "role": "staff"})
    with tenant(org_a):
        assert Membership.objects.get(user=alice).role == Role.OWNER
    trail.none()


def test_organization_details_changes_are_recorded_with_before_and_after(alice, alice_client, org_a, trail):
    data = {"name": "Alpha Fun", "time_zone": "America/Chicago", "currency": "CAD"}
    assert alice_client.post(f"/app/{org_a.slug}/settings/", data).status_code == 302
    event = trail.one(AuditAction.ORGANIZATION_CHANGED, alice, "Alpha Fun")
    assert event.changes == {
        "Name": ["Canary Alpha Fun Center", "Alpha Fun"],
        "Currency": ["US dollar", "Canadian dollar"],
    }
    alice_client.post(f"/app/{org_a.slug}/settings/", data)  # saved again unchanged
    alice_client.post(f"/app/{org_a.slug}/settings/", data | {"time_zone": "Mars/Olympus"})  # refused
    trail.none()


def test_api_keys_made_and_revoked_are_recorded(alice, alice_client, org_a, trail):
    keys = f"/app/{org_a.slug}/settings/api-keys/"
    assert alice_client.post(keys, {"name": "Website", "scopes": ["imports:write"]}).status_code == 200
    event = trail.one(ApiKeyAudit.API_KEY_CREATED, alice, "Website")
    with tenant(org_a):
        key = ApiKey.objects.get()
    assert event.detail == f"{key.prefix}… · Imports: send customers, read import jobs"
    alice_client.post(keys, {"name": "", "scopes": ["imports:write"]})  # no name: refused
    trail.none()
    alice_client.post(f"{keys}{key.pk}/revoke/")
    trail.one(ApiKeyAudit.API_KEY_REVOKED, alice, "Website")
    alice_client.post(f"{keys}{key.pk}/revoke/")  # revoked already
    trail.none()


# What the organization asks about its customers -------------------------------------------------------------


def test_custom_fields_added_changed_retired_restored_and_reordered_are_recorded(
    alice, alice_client, org_a, trail
):
    settings = f"/app/{org_a.slug}/settings/custom-fields/"
    data = {
        "label": "Shirt size",
        "type": "choice",
        "scope": "person",
        "visible_to": ["staff", "customer"],
        "editable_by": ["staff"],
        "key": "",
        "options-TOTAL_FORMS": "2",
        "options-INITIAL_FORMS": "0",
        "options-0-label": "S",
        "options-1-label": "M",
    }
    assert alice_client.post(f"{settings}new/", data).status_code == 302
    event = trail.one(CustomerAudit.CUSTOM_FIELD_CREATED, alice, "Shirt size")
    assert event.detail == "Single choice" and event.changes == {"Options": [None, "S, M"]}
    with tenant(org_a):
        shirt = CustomField.objects.get()
        small, medium = shirt.options.all()
    edit = data | {
        "label": "T-shirt size",
        "options-TOTAL_FORMS": "3",
        "options-INITIAL_FORMS": "2",
        "options-0-id": small.pk,
        "options-0-label": "S",
        "options-1-id": medium.pk,
        "options-1-label": "M",
        "options-2-label": "L",
    }
    assert alice_client.post(f"{settings}{shirt.pk}/", edit).status_code == 302
    event = trail.one(CustomerAudit.CUSTOM_FIELD_CHANGED, alice, "T-shirt size")
    assert event.changes == {"Label": ["Shirt size", "T-shirt size"], "Options": ["S, M", "S, M, L"]}
    with tenant(org_a):
        large = shirt.options.get(label="L")
    same = edit | {"options-INITIAL_FORMS": "3", "options-2-id": large.pk}
    assert alice_client.post(f"{settings}{shirt.pk}/", same).status_code == 302  # saved, nothing changed
    alice_client.post(f"{settings}new/", data | {"scope": "roster"})  # invalid: roster fields are staff-only
    trail.none()

    alice_client.post(f"{settings}{shirt.pk}/retire/")
    trail.one(CustomerAudit.CUSTOM_FIELD_RETIRED, alice, "T-shirt size")
    alice_client.post(f"{settings}{shirt.pk}/restore/")
    trail.one(CustomerAudit.CUSTOM_FIELD_RESTORED, alice, "T-shirt size")

    with tenant(org_a):
        school = make_field("School", FieldType.TEXT)
    trail.one(CustomerAudit.CUSTOM_FIELD_CREATED, None, "School")  # made without a person: the system
    alice_client.post(settings, {"field": [shirt.pk, school.pk], "move": f"{school.pk}:up"})
    event = trail.one(CustomerAudit.CUSTOM_FIELDS_REORDERED, alice, "")
    assert event.changes == {"Order": ["T-shirt size, School", "School, T-shirt size"]}
    alice_client.post(settings, {"field": [school.pk, shirt.pk]})  # the order it has
    trail.none()


def test_required_field_rules_are_recorded_once_per_save_with_each_cell(alice, alice_client, org_a, trail):
    grid = f"/app/{org_a.slug}/settings/required-fields/"
    alice_client.post(grid, {"rule:phone:staff": "required", "rule:birthday:online_booking": "hidden"})
    event = trail.one(CustomerAudit.RULES_CHANGED, alice, "Phone, Birthday")
    assert event.changes == {
        "Phone · Staff Portal": ["Optional", "Required"],
        "Birthday · Online Booking": ["Optional", "Hide"],
    }
    alice_client.post(grid, {"rule:first_name:staff": "hidden"})  # a name is always required: refused
    alice_client.post(grid, {"rule:phone:staff": "required"})  # as it is
    trail.none()


def test_intake_forms_are_saved_by_a_service_that_records_them(alice, alice_client, org_a, trail):
    builder = f"/app/{org_a.slug}/settings/forms/"
    data = {
        "title": "Camp sign-up",
        "slug": "camp",
        "intro": "",
        "is_open": "on",
        "field": ["first_name", "last_name", "email", "phone"],
    }
    assert alice_client.post(f"{builder}new/", data).status_code == 302
    event = trail.one(IntakeAudit.INTAKE_FORM_CREATED, alice, "Camp sign-up")
    assert event.changes["Fields asked"][1].startswith("First name (required), Last name (required)")
    with tenant(org_a):
        intake = IntakeForm.objects.get()
        assert intake.created_by == alice and intake.fields[3] == {"name": "phone", "required": False}
    edit = data | {"is_open": "", "field": ["first_name", "last_name", "email"]}
    assert alice_client.post(f"{builder}{intake.pk}/", edit).status_code == 302
    event = trail.one(IntakeAudit.INTAKE_FORM_CHANGED, alice, "Camp sign-up")
    assert event.changes["Accepting submissions"] == ["Yes", "No"]
    assert event.changes["Fields asked"][1] == "First name (required), Last name (required), Email (required)"
    alice_client.post(f"{builder}new/", data | {"title": "Again"})  # the link is taken
    trail.none()


# Tags, metrics, invitation settings -------------------------------------------------------------------------


@pytest.fixture
def tagged(org_a, alice):
    """VIP on Ann and Ben, Gold on Ben and Cy."""
    with tenant(org_a):
        vip, gold = (tag_save(tag=Tag(name=name), by=alice) for name in ("VIP", "Gold"))
        people = {name: customer(first_name=name, last_name="Tagged") for name in ("Ann", "Ben", "Cy")}
        for name, tag in (("Ann", vip), ("Ben", vip), ("Ben", gold), ("Cy", gold)):
            tag_add(customer=people[name], tag=tag, by=alice)
    return {"vip": vip, "gold": gold} | people


def tag_events(org, person) -> list[tuple[str, dict]]:
    with tenant(org):
        events = Activity.objects.filter(customer=person, kind="tags", detail__gt="").order_by("id")
        return [(event.detail, event.changes) for event in events]


def test_tags_created_changed_merged_and_deleted_are_recorded(alice, alice_client, org_a, tagged, trail):
    tags = f"/app/{org_a.slug}/settings/tags/"
    assert alice_client.post(tags, {"name": "Birthday club", "color": "pink"}).status_code == 302
    trail.one(TagAudit.TAG_CREATED, alice, "Birthday club")
    alice_client.post(tags, {"name": "birthday CLUB", "color": "red"})  # the name is taken
    trail.none()
    vip = tagged["vip"]
    alice_client.post(f"{tags}{vip.pk}/", {"name": "VIP", "color": "purple", "description": ""})
    assert trail.one(TagAudit.TAG_CHANGED, alice, "VIP").changes == {"Color": ["Gray", "Purple"]}

    # Merging VIP into Gold: Ann gains Gold, Ben keeps it; each has the change in their activity log.
    alice_client.post(f"{tags}{vip.pk}/merge/", {"target": tagged["gold"].pk})
    event = trail.one(TagAudit.TAG_MERGED, alice, "VIP → Gold")
    assert event.detail == "2 customers had “VIP”; 1 gained “Gold”"
    assert tag_events(org_a, tagged["Ann"]) == [("“VIP” merged into “Gold”", {"Tags": ["VIP", "Gold"]})]
    assert tag_events(org_a, tagged["Ben"]) == [("“VIP” merged into “Gold”", {"Tags": ["Gold, VIP", "Gold"]})]
    assert tag_events(org_a, tagged["Cy"]) == []

    alice_client.post(f"{tags}{tagged['gold'].pk}/delete/")
    assert trail.one(TagAudit.TAG_DELETED, alice, "Gold").detail == "Taken off 3 customers"
    for name in ("Ann", "Ben", "Cy"):
        assert tag_events(org_a, tagged[name])[-1] == ("Tag “Gold” deleted", {"Tags": ["Gold", ""]})
    with tenant(org_a):
        assert Activity.objects.filter(actor=alice, detail="Tag “Gold” deleted").count() == 3


def test_a_merge_into_the_same_tag_records_nothing(alice_client, org_a, tagged, trail):
    vip = tagged["vip"]
    response = alice_client.post(f"/app/{org_a.slug}/settings/tags/{vip.pk}/merge/", {"target": vip.pk})
    assert response.status_code == 422
    trail.none()
    assert tag_events(org_a, tagged["Ann"]) == []


def test_metric_definitions_are_recorded(alice, alice_client, org_a, trail):
    settings = f"/app/{org_a.slug}/settings/metrics/"
    data = {"name": "Visits", "kind": "counter", "unit": "visits", "decimals": 0, "higher_is_better": "True"}
    assert alice_client.post(f"{settings}new/", data).status_code == 302
    assert trail.one(MetricAudit.METRIC_CREATED, alice, "Visits").detail == "Counter"
    with tenant(org_a):
        visits = Metric.objects.get()
    alice_client.post(f"{settings}{visits.pk}/", data | {"unit": "times"})
    assert trail.one(MetricAudit.METRIC_CHANGED, alice, "Visits").changes == {"Unit": ["visits", "times"]}
    alice_client.post(f"{settings}new/", data | {"name": "VISITS"})  # the name is taken
    trail.none()
    alice_client.post(f"{settings}{visits.pk}/archive/")
    trail.one(MetricAudit.METRIC_ARCHIVED, alice, "Visits")
    alice_client.post(f"{settings}{visits.pk}/restore/")
    trail.one(MetricAudit.METRIC_RESTORED, alice, "Visits")


def test_invitation_email_settings_are_recorded_and_a_refused_save_is_not(alice, alice_client, org_a, trail):
    url = f"/app/{org_a.slug}/settings/invites/"
    data = {
        "subject": "Your account at {{ organization }}",
        "body": "Hello {{ first_name }}, claim it: {{ link }}",
        "expiry_hours": 48,
        "remind_after_days": 3,
        "max_reminders": 2,
    }
    assert alice_client.post(url, data).status_code == 302
    event = trail.one(InviteAudit.INVITE_SETTINGS_CHANGED, alice, "Invitation email")
    assert event.changes["Link valid for (hours)"] == [72, 48]
    assert set(event.changes) == {"Subject", "Body", "Link valid for (hours)"}
    assert alice_client.post(url, data | {"expiry_hours": 400}).status_code == 200
    trail.none()


# Imports and exports ----------------------------------------------------------------------------------------


def ready_import(org, user, text: str = "First name,Last name\nAna,Lee\nBen,Ito\n") -> ImportJob:
    return confirm(org, work(org, upload(org, user, text)))


def test_imports_started_cancelled_and_undone_are_recorded(alice, alice_client, org_a, trail):
    imports = f"/app/{org_a.slug}/imports/"
    job = ready_import(org_a, alice)
    trail.new()
    assert alice_client.post(f"{imports}{job.pk}/run/").status_code == 302
    event = trail.one(ImportAudit.IMPORT_STARTED, alice, "customers.csv")
    assert event.detail == "2 to add, 0 to update, 0 rows with errors"
    alice_client.post(f"{imports}{job.pk}/run/")  # running already: refused
    trail.none()
    job = work(org_a, job)
    assert job.status == ImportJob.Status.DONE
    alice_client.post(f"{imports}{job.pk}/undo/")
    assert (
        trail.one(ImportAudit.IMPORT_UNDONE, alice, "customers.csv").detail == "2 customers it added archived"
    )
    alice_client.post(f"{imports}{job.pk}/undo/")  # undone already
    alice_client.post(f"{imports}{job.pk}/cancel/")  # finished: nothing to stop
    trail.none()

    other = ready_import(org_a, alice)
    trail.new()
    alice_client.post(f"{imports}{other.pk}/cancel/")
    assert trail.one(ImportAudit.IMPORT_CANCELLED, alice, "customers.csv").detail == "Before it ran"


def test_an_import_sent_with_an_api_key_that_runs_by_itself_is_recorded_as_automatic(org_a, trail):
    text = "First name,Last name,Email\nAna,Lee,ana@x.example\n"
    options = {"origin": ImportJob.Origin.API, "auto_run": True, "api_key_name": "Website"}
    assert work(org_a, upload(org_a, None, text, name="api-import.csv", **options)).status == "done"
    event = trail.one(ImportAudit.IMPORT_STARTED, None, "api-import.csv")
    assert event.detail == "1 to add, 0 to update, 0 rows with errors · API key “Website”"


def test_customer_exports_record_how_many_rows_and_which_format(alice, alice_client, org_a, trail):
    with tenant(org_a):
        for name in ("Ann", "Ben", "Cy"):
            customer(first_name=name, last_name="Export")
    trail.new()
    response = alice_client.get(f"/app/{org_a.slug}/customers/export.csv?q=export")
    assert len(csv_rows(response)) == 4
    event = trail.one(CustomerAudit.EXPORT_DOWNLOADED, alice, file_name(response))
    assert event.detail == "3 customers, CSV"
    alice_client.get(f"/app/{org_a.slug}/customers/export.xlsx?q=ann")
    assert trail.new()[0].detail == "1 customer, XLSX"
    assert alice_client.get(f"/app/{org_a.slug}/customers/export.pdf").status_code == 404
    trail.none()


def test_each_app_registers_its_own_actions_and_a_clash_is_refused():
    labels = dict(audit_action_choices())
    assert labels["staff.invited"] == "Staff invited" and labels["tag.merged"] == "Tags merged"
    assert labels["import.undone"] == "Import undone" and labels["api_key.created"] == "API key created"

    class Clash(models.TextChoices):
        MERGED = "tag.merged", "Something else"

    with pytest.raises(ImproperlyConfigured, match=r"tag\.merged"):
        register_audit_actions(Clash)
    assert dict(audit_action_choices())["tag.merged"] == "Tags merged"
