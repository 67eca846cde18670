"""Settings → Audit log: every change to an organization's setup or access is recorded by the service that
makes it, with who did it, and only owners and admins of that organization read it."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import services as account_services
from accounts.audit import audit_record
from accounts.models import AuditAction, AuditEvent, Membership, Role, StaffInvitation
from accounts.tenancy import tenant
from api.models import ApiKey
from tests.conftest import logged_in, make_member, make_user

AUDIT = "/app/{slug}/settings/audit/"


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


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def file_name(response) -> str:
    return re.search(r'filename="([^"]+)"', response["Content-Disposition"]).group(1)


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
    assert alice_client.post(keys, {"name": "Website", "scopes": ["imports"]}).status_code == 200
    event = trail.one(AuditAction.API_KEY_CREATED, alice, "Website")
    with tenant(org_a):
        key = ApiKey.objects.get()
    assert event.detail == f"{key.prefix}… · Imports: send customers, read import jobs"
    alice_client.post(keys, {"name": "", "scopes": ["imports"]})  # no name: refused
    trail.none()
    alice_client.post(f"{keys}{key.pk}/revoke/")
    trail.one(AuditAction.API_KEY_REVOKED, alice, "Website")
    alice_client.post(f"{keys}{key.pk}/revoke/")  # revoked already
    trail.none()


# The page ---------------------------------------------------------------------------------------------------


@pytest.fixture
def history(org_a, alice, carol):
    """Alice invited someone 3 days ago and made a tag today; Carol (staff) exported yesterday."""
    with tenant(org_a):
        for action, by, target, days_ago in (
            (AuditAction.STAFF_INVITED, alice, "tom@alpha.example", 3),
            (AuditAction.EXPORT_DOWNLOADED, carol, "alpha-customers.csv", 1),
            (AuditAction.TAG_CREATED, alice, "VIP", 0),
        ):
            event = audit_record(action=action, by=by, target=target)
            AuditEvent.objects.filter(pk=event.pk).update(
                created_at=timezone.now() - timedelta(days=days_ago)
            )
    return org_a


def shown(response) -> list[str]:
    """The targets of the events listed, top to bottom."""
    page = response.content.decode()
    assert response.status_code == 200
    return [target for target in ("VIP", "alpha-customers.csv", "tom@alpha.example") if f">{target}<" in page]


def test_owners_and_admins_read_the_log_newest_first_and_staff_may_not(
    alice_client, carol_client, org_a, history
):
    url = AUDIT.format(slug=org_a.slug)
    page = alice_client.get(url)
    assert shown(page) == ["VIP", "alpha-customers.csv", "tom@alpha.example"]
    text = page.content.decode()
    assert text.index(">VIP<") < text.index(">alpha-customers.csv<") < text.index(">tom@alpha.example<")
    assert "Carol Castro (carol@alpha.example)" in text and "Tag created" in text
    assert 'href="/app/alpha/settings/audit/"' in alice_client.get(f"/app/{org_a.slug}/settings/").text
    admin = logged_in(make_member(org_a, Role.ADMIN, "ada@alpha.example"))
    assert admin.get(url).status_code == 200
    assert carol_client.get(url).status_code == 403
    assert carol_client.get(f"{url}export.csv").status_code == 403


def test_the_log_filters_by_who_what_and_when(alice, alice_client, carol, org_a, history):
    url = AUDIT.format(slug=org_a.slug)
    assert shown(alice_client.get(url, {"actor": carol.pk})) == ["alpha-customers.csv"]
    assert shown(alice_client.get(url, {"action": "staff.invited"})) == ["tom@alpha.example"]
    with timezone.override(org_a.time_zone):  # days are the organization's
        today = timezone.localdate()
    since = (today - timedelta(days=1)).isoformat()
    assert shown(alice_client.get(url, {"since": since})) == ["VIP", "alpha-customers.csv"]
    assert shown(alice_client.get(url, {"until": since})) == ["alpha-customers.csv", "tom@alpha.example"]
    assert shown(alice_client.get(url, {"actor": alice.pk, "since": since})) == ["VIP"]
    assert shown(alice_client.get(url, {"action": "import.undone"})) == []
    assert "No changes match" in alice_client.get(url, {"action": "import.undone"}).text
    # Nonsense is refused next to its field, and changes nothing else.
    page = alice_client.get(url, {"action": "drop.table", "since": "yesterday", "page": "x"})
    assert shown(page) == ["VIP", "alpha-customers.csv", "tom@alpha.example"]
    assert "Select a valid choice" in page.text and "Enter a valid date" in page.text


def test_the_filtered_log_exports_as_csv_with_formulas_neutralized(alice, alice_client, org_a, history):
    with tenant(org_a):
        audit_record(action=AuditAction.TAG_CREATED, by=alice, target='=HYPERLINK("http://evil")')
    url = AUDIT.format(slug=org_a.slug)
    page = alice_client.get(url, {"action": "tag.created"}).text
    assert 'href="/app/alpha/settings/audit/export.csv?action=tag.created"' in page
    response = alice_client.get(f"{url}export.csv", {"action": "tag.created"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert file_name(response).startswith("alpha-audit-log-")
    lines = rows(response)
    assert lines[0] == ["When", "Who", "What", "Target", "Details", "Changes"]
    assert [line[1:4] for line in lines[1:]] == [
        ["Alice Anders (alice@alpha.example)", "Tag created", '\'=HYPERLINK("http://evil")'],
        ["Alice Anders (alice@alpha.example)", "Tag created", "VIP"],
    ]
    everything = rows(alice_client.get(f"{url}export.csv"))
    assert len(everything) == 5


def test_the_log_pages_by_25_in_a_constant_number_of_queries(alice, alice_client, org_a):
    url = AUDIT.format(slug=org_a.slug)
    with tenant(org_a):
        for number in range(30):
            audit_record(action=AuditAction.TAG_CREATED, by=alice, target=f"Tag {number:02}")
    first = alice_client.get(url).text
    assert first.count("<tr>") == 26 and "Tag 29" in first and "Tag 05" in first and "Tag 04" not in first
    assert "Page 1 of 2" in first
    second = alice_client.get(url, {"page": 2}).text
    assert second.count("<tr>") == 6 and "Tag 04" in second
    with CaptureQueriesContext(connection) as few:
        alice_client.get(url)
    with tenant(org_a):
        for number in range(30):
            audit_record(action=AuditAction.STAFF_REMOVED, by=make_user(f"p{number}@x.example"), target="x")
    with CaptureQueriesContext(connection) as many:
        alice_client.get(url)
    assert len(many) == len(few)


def test_an_empty_log_says_what_will_appear_there(alice_client, org_a):
    page = alice_client.get(AUDIT.format(slug=org_a.slug)).text
    assert "Nothing recorded yet" in page and "invites or removes staff" in page
    assert "Export CSV" not in page


# The other tenant -------------------------------------------------------------------------------------------


def test_it_checks_ownership(alice, bob, bob_client, org_a, org_b, history):
    with tenant(org_b):
        audit_record(action=AuditAction.TAG_CREATED, by=bob, target="Beta tag")
    assert bob_client.get(AUDIT.format(slug=org_a.slug)).status_code == 404
    assert bob_client.get(AUDIT.format(slug=org_a.slug) + "export.csv").status_code == 404
    theirs = bob_client.get(AUDIT.format(slug=org_b.slug))
    assert shown(theirs) == [] and "Beta tag" in theirs.text and "alice@alpha.example" not in theirs.text
    lines = rows(bob_client.get(AUDIT.format(slug=org_b.slug) + "export.csv"))
    assert [line[3] for line in lines[1:]] == ["Beta tag"]
    # Alice's id is no one bob may filter by.
    page = bob_client.get(AUDIT.format(slug=org_b.slug), {"actor": alice.pk})
    assert "Select a valid choice" in page.text and "alice@alpha.example" not in page.text
    with tenant(org_b):
        assert AuditEvent.objects.count() == 1
        assert AuditEvent.objects.unscoped().count() == 1  # row-level security hides Alpha's too
