"""Roster imports that never ran: an upload waiting for its mapping is deleted with its file (and the audit
trail says so), and the Imports report counts only the runs that ran."""

from django.utils import timezone

from accounts.models import AuditEvent, Membership
from accounts.tenancy import tenant
from customers.reports import ReportQuery
from imports import services
from imports.models import ImportAudit, ImportJob
from imports.report import frequent_errors, largest, runs_by_period
from tests.import_helpers import MESSY, confirm, start, upload, work


def test_staff_delete_an_upload_waiting_for_its_mapping_with_its_file(
    alice_client, org_a, alice, django_capture_on_commit_callbacks
):
    job = work(org_a, upload(org_a, alice, MESSY, name="wrong-list.csv"))
    page = alice_client.get(f"/app/alpha/imports/{job.pk}/").text
    assert job.status == ImportJob.Status.MAPPING and "Delete this upload" in page
    storage, name = job.file.storage, job.file.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"/app/alpha/imports/{job.pk}/delete/", follow=True)
    assert response.redirect_chain[-1][0] == "/app/alpha/imports/"
    assert "“wrong-list.csv” is deleted; nothing from it was imported." in response.text
    assert not storage.exists(name)
    with tenant(org_a):
        assert not ImportJob.objects.exists()
        event = AuditEvent.objects.get(action=ImportAudit.IMPORT_DELETED)
    assert (event.actor, event.target, event.detail) == (alice, "wrong-list.csv", "Needs mapping, never run")
    assert alice_client.get(f"/app/alpha/imports/{job.pk}/").status_code == 404


def test_an_import_that_ran_cannot_be_deleted_and_another_tenant_gets_404(
    alice_client, bob_client, org_a, alice
):
    ready = confirm(org_a, work(org_a, upload(org_a, alice, MESSY)))
    assert "Delete this upload" in alice_client.get(f"/app/alpha/imports/{ready.pk}/").text
    assert bob_client.post(f"/app/alpha/imports/{ready.pk}/delete/").status_code == 404
    assert bob_client.post(f"/app/beta/imports/{ready.pk}/delete/").status_code == 404
    done = start(org_a, ready)
    page = alice_client.post(f"/app/alpha/imports/{done.pk}/delete/", follow=True).text
    assert "Only an upload that has not run can be deleted." in page and "Delete this upload" not in page
    with tenant(org_a):
        assert ImportJob.objects.filter(pk=done.pk, status=ImportJob.Status.DONE).exists()


def test_the_imports_report_counts_only_runs_that_ran(org_a, alice):
    ran = start(org_a, confirm(org_a, work(org_a, upload(org_a, alice, MESSY, name="ran.csv"))))
    stopped = confirm(org_a, work(org_a, upload(org_a, alice, MESSY, name="stopped.csv")))
    running = confirm(org_a, work(org_a, upload(org_a, alice, MESSY, name="running.csv")))
    with tenant(org_a):
        services.job_start(job=stopped, by=alice)
        services.job_cancel(job=stopped, by=alice)
        services.job_start(job=running, by=alice)
    stopped = work(org_a, stopped)  # the worker stops before the first batch
    assert (ran.status, stopped.status, stopped.processed_rows) == ("done", "cancelled", 0)
    today = timezone.localdate()
    with tenant(org_a), timezone.override(org_a.time_zone):
        query = ReportQuery(today, today, "week", Membership.objects.get(user=alice))
        by_week, biggest, errors = runs_by_period(query), largest(query), frequent_errors(query)
    assert [row[1:5] for row in by_week.rows] == [[1, 1, 0, 100]]
    assert [row[0] for row in biggest.rows] == ["ran.csv"]
    assert errors.rows and {row[2] for row in errors.rows} == {1}  # each error met in one import, not three
