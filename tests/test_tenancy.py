"""The tenant travels with the work: into Celery tasks (and out again), cache keys and file paths."""

import pytest
from django.core.cache import cache

from accounts import services
from accounts.models import Membership, Role, StaffInvitation
from accounts.tenancy import current_organization, tenant, tenant_upload_path
from tests.probe_tasks import plain_view, tenant_view


@pytest.mark.django_db(transaction=True)
def test_a_task_runs_inside_its_organization_and_leaves_nothing_for_the_next(celery_worker, org_a, org_b):
    seen = tenant_view.delay(org_id=org_a.pk).get(timeout=30)
    assert seen["context"] == org_a.pk
    assert seen["setting"] == str(org_a.pk)
    assert seen["members"] == ["alice@alpha.example"]

    # Same worker process (solo pool), same pooled connection: no organization, no rows.
    after = plain_view.delay().get(timeout=30)
    assert after == {"context": None, "setting": "", "raw_rows": 0}

    assert tenant_view.delay(org_id=org_b.pk).get(timeout=30)["members"] == ["bob@beta.example"]


def test_a_tenant_task_cannot_be_queued_without_its_organization():
    with pytest.raises(TypeError, match="org_id"):
        tenant_view.delay()


def test_invitation_email_is_queued_only_when_the_transaction_commits(
    org_a, org_b, alice, django_capture_on_commit_callbacks
):
    with tenant(org_a), django_capture_on_commit_callbacks() as callbacks:
        services.staff_invite(email="kim@alpha.example", role=Role.STAFF, by=alice)
        assert StaffInvitation.objects.get().sent_at is None
    assert len(callbacks) == 1


def test_nested_tenants_restore_the_outer_one(org_a, org_b):
    with tenant(org_a):
        with tenant(org_b):
            assert Membership.objects.get().user.email == "bob@beta.example"
        assert current_organization() == org_a
        assert Membership.objects.get().user.email == "alice@alpha.example"
    assert current_organization() is None


def test_cache_entries_are_per_organization(org_a, org_b):
    with tenant(org_a):
        cache.set("dashboard-count", 41)
    with tenant(org_b):
        assert cache.get("dashboard-count") is None
        cache.set("dashboard-count", 7)
    with tenant(org_a):
        assert cache.get("dashboard-count") == 41
    assert cache.get("dashboard-count") is None


def test_uploaded_files_are_stored_under_their_organization(org_a, alice):
    with tenant(org_a):
        membership = Membership.objects.get(user=alice)
    path = tenant_upload_path(membership, "../../etc/passwd")
    assert path.startswith(f"org/{org_a.pk}/membership/")
    assert path.endswith("/passwd")
    assert ".." not in path
