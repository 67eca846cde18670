"""Settings → Audit log, the page: only owners and admins of the organization read it, newest first, filtered,
paged and exported, and another organization's log stays out of reach."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import AuditAction, AuditEvent, Role
from accounts.tenancy import tenant
from customers.models import CustomerAudit
from metrics.models import Metric
from metrics.services import metric_save
from tags.models import TagAudit
from tests.audit_helpers import AUDIT, file_name
from tests.conftest import logged_in, make_member, make_user
from tests.inbox import csv_rows


@pytest.fixture
def history(org_a, alice, carol):
    """Alice invited someone 3 days ago and made a tag today; Carol (staff) exported yesterday."""
    with tenant(org_a):
        for action, by, target, days_ago in (
            (AuditAction.STAFF_INVITED, alice, "tom@alpha.example", 3),
            (CustomerAudit.EXPORT_DOWNLOADED, carol, "alpha-customers.csv", 1),
            (TagAudit.TAG_CREATED, alice, "VIP", 0),
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
        audit_record(action=TagAudit.TAG_CREATED, by=alice, target='=HYPERLINK("http://evil")')
    url = AUDIT.format(slug=org_a.slug)
    page = alice_client.get(url, {"action": "tag.created"}).text
    assert 'href="/app/alpha/settings/audit/export.csv?action=tag.created"' in page
    response = alice_client.get(f"{url}export.csv", {"action": "tag.created"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert file_name(response).startswith("alpha-audit-log-")
    lines = csv_rows(response)
    assert lines[0] == ["When", "Who", "What", "Target", "Details", "Changes"]
    assert [line[1:4] for line in lines[1:]] == [
        ["Alice Anders (alice@alpha.example)", "Tag created", '\'=HYPERLINK("http://evil")'],
        ["Alice Anders (alice@alpha.example)", "Tag created", "VIP"],
    ]
    everything = csv_rows(alice_client.get(f"{url}export.csv"))
    assert len(everything) == 5


def test_the_log_pages_by_25_in_a_constant_number_of_queries(alice, alice_client, org_a):
    url = AUDIT.format(slug=org_a.slug)
    with tenant(org_a):
        for number in range(30):
            audit_record(action=TagAudit.TAG_CREATED, by=alice, target=f"Tag {number:02}")
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


def test_what_people_typed_is_escaped(alice, alice_client, org_a):
    with tenant(org_a):
        metric_save(metric=Metric(name="<b id=probe>"), by=alice)
    page = alice_client.get(AUDIT.format(slug=org_a.slug)).text
    assert "<b id=probe>" not in page and "&lt;b id=probe&gt;" in page


def test_a_user_who_is_gone_is_still_named(alice_client, org_a):
    leaver = make_member(org_a, Role.ADMIN, "leaver@alpha.example")
    with tenant(org_a):
        metric_save(metric=Metric(name="Left behind"), by=leaver)
        leaver.delete()
        event = AuditEvent.objects.get(target="Left behind")
    assert event.actor is None and event.actor_label == "leaver@alpha.example"
    assert "leaver@alpha.example" in alice_client.get(AUDIT.format(slug=org_a.slug)).text


# The other tenant -------------------------------------------------------------------------------------------


def test_it_checks_ownership(alice, bob, bob_client, org_a, org_b, history):
    with tenant(org_b):
        audit_record(action=TagAudit.TAG_CREATED, by=bob, target="Beta tag")
    assert bob_client.get(AUDIT.format(slug=org_a.slug)).status_code == 404
    assert bob_client.get(AUDIT.format(slug=org_a.slug) + "export.csv").status_code == 404
    theirs = bob_client.get(AUDIT.format(slug=org_b.slug))
    assert shown(theirs) == [] and "Beta tag" in theirs.text and "alice@alpha.example" not in theirs.text
    lines = csv_rows(bob_client.get(AUDIT.format(slug=org_b.slug) + "export.csv"))
    assert [line[3] for line in lines[1:]] == ["Beta tag"]
    # Alice's id is no one bob may filter by.
    page = bob_client.get(AUDIT.format(slug=org_b.slug), {"actor": alice.pk})
    assert "Select a valid choice" in page.text and "alice@alpha.example" not in page.text
    with tenant(org_b):
        assert AuditEvent.objects.count() == 1
        assert AuditEvent.objects.unscoped().count() == 1  # row-level security hides Alpha's too
