"""Roster imports: mapping, the dry run, the run and its report, matching, undo and cancel — and the other
tenant."""

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tenancy import tenant
from customers import services as customer_services
from customers.models import Activity, Customer
from imports import services, work_services
from imports.models import ImportIssue, ImportJob
from notes.models import Note
from tests.conftest import make_user
from tests.factories import customer
from tests.import_helpers import MESSY, confirm, start, upload, work


def test_messy_csv_is_read_mapped_dry_run_and_imported(org_a, alice):
    with tenant(org_a):
        existing = customer(first_name="Ben", last_name="Okafor", email="ben@example.com", phone="")
    job = work(org_a, upload(org_a, alice, MESSY))
    assert job.status == ImportJob.Status.MAPPING
    assert job.delimiter == ";" and job.total_rows == 6
    assert job.mapping == ["first_name", "last_name", "email", "phone", "birthday", "tags", "note"]
    job = confirm(org_a, job)
    assert job.status == ImportJob.Status.READY
    assert (job.to_create, job.to_update, job.unchanged, job.error_rows) == (2, 1, 0, 2)
    with tenant(org_a):
        issues = {(issue.row, issue.column): issue.message for issue in ImportIssue.objects.filter(job=job)}
    assert "is not an email address" in issues[(4, "E-mail")]
    assert "not a date" in issues[(4, "DOB")]
    assert issues[(5, "E-mail")] == "Same email as row 2."
    job = start(org_a, job)
    assert job.status == ImportJob.Status.DONE
    assert (job.created, job.updated, job.skipped) == (2, 1, 2)
    with tenant(org_a):
        ana = Customer.objects.get(email="ana@example.com")
        assert ana.last_name == "García" and ana.birthday.isoformat() == "2015-03-14"
        assert ana.source == "import"
        existing.refresh_from_db()
        assert existing.phone == "555 201 0002"
        event = Activity.objects.filter(customer=ana).get()
        assert event.kind == "created" and event.changes["Tags"][1] == "Soccer, VIP"
        assert Customer.objects.count() == 3


def test_a_claimed_customer_only_gets_blanks_filled_and_the_dry_run_says_so(alice_client, org_a, alice):
    with tenant(org_a):
        own = customer(first_name="Ana", last_name="Own", email="ana@example.com", phone="312-555-0100")
        Customer.objects.filter(pk=own.pk).update(user=make_user("ana@example.com"))
        staff_made = customer(first_name="Ben", last_name="Old", email="ben@example.com")
    text = (
        "First name,Last name,Email,Phone,City,Marketing emails\n"
        "Anna,Changed,ana@example.com,312-555-0999,Springfield,yes\n"
        "Ben,New,ben@example.com,,,\n"
    )
    job = confirm(org_a, work(org_a, upload(org_a, alice, text)))
    assert (job.to_update, job.claimed_rows) == (2, 1)
    page = alice_client.get(f"/app/{org_a.slug}/imports/{job.pk}/").text
    assert "1 row matches a customer with their own login" in page
    start(org_a, job)
    with tenant(org_a):
        own.refresh_from_db()
        staff_made.refresh_from_db()
        assert (own.first_name, own.last_name, own.phone) == ("Ana", "Own", "312-555-0100")
        assert (
            own.city == "Springfield" and own.marketing_opt_in is False
        )  # a blank filled; consent is theirs
        assert staff_made.last_name == "New"


def test_matching_never_reaches_another_organization(org_a, org_b, alice, bob):
    with tenant(org_b):
        theirs = customer(first_name="Ana", last_name="Beta", email="ana@example.com")
    job = start(
        org_a,
        confirm(
            org_a,
            work(org_a, upload(org_a, alice, "First name,Last name,Email\nAna,Alpha,ana@example.com\n")),
        ),
    )
    assert (job.created, job.updated) == (1, 0)
    with tenant(org_b):
        theirs.refresh_from_db()
        assert theirs.last_name == "Beta" and Customer.objects.count() == 1


def test_another_organizations_import_is_not_found(bob_client, org_a, alice):
    job = work(org_a, upload(org_a, alice, MESSY))
    for path in ("", "progress/", "errors.csv"):
        assert bob_client.get(f"/app/beta/imports/{job.pk}/{path}").status_code == 404
    assert bob_client.post(f"/app/beta/imports/{job.pk}/run/").status_code == 404


def test_update_only_matches_by_customer_number_and_leaves_empty_cells_alone(org_a, alice):
    with tenant(org_a):
        kept = customer(first_name="Ana", last_name="Lee", number="A-1", phone="(555) 201-0009")
    text = "Member ID,First name,Last name,Mobile\nA-1,Anna,,\nZ-9,Zed,Zee,\n"
    job = confirm(org_a, work(org_a, upload(org_a, alice, text)), match_key="number", mode="update")
    assert (job.to_update, job.error_rows) == (1, 1)
    start(org_a, job)
    with tenant(org_a):
        kept.refresh_from_db()
        assert (kept.first_name, kept.last_name, kept.phone) == ("Anna", "Lee", "(555) 201-0009")
        assert Customer.objects.count() == 1


def test_a_mapping_that_cannot_run_is_refused_in_words(org_a, alice):
    job = work(org_a, upload(org_a, alice, "Email,Phone\nana@example.com,5552010001\n"))
    with tenant(org_a), pytest.raises(services.MappingError) as refused:
        services.job_map(
            job=job, mapping=["email", "email"], date_format="auto", match_key="email", mode="upsert",
            skip_errors=True, tag_ids=[],
        )  # fmt: skip
    assert "Two columns go into Email" in str(refused.value)
    assert "Map First name, Last name" in str(refused.value)


def test_a_saved_template_maps_the_next_file(org_a, alice):
    text = "Kid,Surname,Shoe\nAna,Lee,\n"
    job = work(org_a, upload(org_a, alice, text))
    assert job.mapping == ["", "last_name", ""]
    confirm(org_a, job, mapping=["first_name", "last_name", ""], template_name="Old system")
    again = work(org_a, upload(org_a, alice, text))
    assert again.mapping == ["first_name", "last_name", ""]
    with tenant(org_a):
        assert again.template.name == "Old system"


def test_undo_archives_what_a_create_only_import_added_unless_touched(org_a, alice):
    job = start(
        org_a, confirm(org_a, work(org_a, upload(org_a, alice, "First name,Last name\nAna,Lee\nBen,Ito\n")))
    )
    with tenant(org_a):
        ben = Customer.objects.get(first_name="Ben")
        customer_services.customer_update(customer=ben, data={"last_name": "Itō"}, by=alice)
        archived, touched = services.job_undo(job=job, by=alice)
        assert (archived, touched) == (1, 1)
        assert Customer.objects.get(first_name="Ana").archived_at is not None
        with pytest.raises(services.MappingError):
            services.job_undo(job=job, by=alice)


def test_cancel_before_running_changes_nothing(org_a, alice):
    job = confirm(org_a, work(org_a, upload(org_a, alice, MESSY)))
    with tenant(org_a):
        services.job_cancel(job=job, by=alice)
        job.refresh_from_db()
        assert job.status == ImportJob.Status.CANCELLED and Customer.objects.count() == 0


def test_the_pages_walk_through_an_import(alice_client, org_a, alice):
    base = "/app/alpha/imports/"
    assert "No imports yet" in alice_client.get(base).content.decode()
    response = alice_client.post(base, {"file": ContentFile(MESSY.encode(), name="messy.csv")})
    assert response.status_code == 302
    job_url = response["Location"]
    with tenant(org_a):
        job = ImportJob.objects.get()
    work(org_a, job)
    page = alice_client.get(job_url).content.decode()
    assert "Match the columns" in page and "ANA@example.com" in page
    form = {f"column_{i}": target for i, target in enumerate(job.mapping)}
    form |= {"date_format": "mdy", "mode": "upsert", "match_key": "email", "skip_errors": "true"}
    assert alice_client.post(job_url, form).status_code == 302
    work(org_a, job)
    page = alice_client.get(job_url).content.decode()
    assert "Dry run" in page and "is not an email address" in page
    errors = b"".join(alice_client.get(job_url + "errors.csv").streaming_content).decode()
    assert "cleo@example" in errors and "Errors" in errors.splitlines()[0]
    alice_client.post(job_url + "run/")
    work(org_a, job)
    page = alice_client.get(job_url).content.decode()
    assert "Report" in page and "See the imported customers" in page
    roster = alice_client.get(f"/app/alpha/customers/?imported_by={job.pk}&status=all").content.decode()
    assert "García" in roster
    report = alice_client.get(base + "report/", follow=True)  # the weekly table is Reports → Imports now
    assert report.redirect_chain[-1][0] == "/app/alpha/reports/imports/" and "Imports by month" in report.text


def test_the_imports_list_and_a_job_page_run_a_constant_number_of_queries(alice_client, org_a, alice):
    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert alice_client.get(url).status_code == 200
        return len(captured)

    job = start(org_a, confirm(org_a, work(org_a, upload(org_a, alice, MESSY))))
    few_list, few_job = queries("/app/alpha/imports/"), queries(f"/app/alpha/imports/{job.pk}/")
    for _ in range(5):
        start(
            org_a,
            confirm(org_a, work(org_a, upload(org_a, alice, MESSY + "Zed,Zee,zed@example.com,,,,\r\n"))),
        )
    assert queries("/app/alpha/imports/") == few_list
    assert queries(f"/app/alpha/imports/{job.pk}/") == few_job


def test_staff_without_the_import_permission_are_refused(org_a, alice, carol_client):
    assert carol_client.get("/app/alpha/imports/").status_code == 403
    assert (
        carol_client.post(
            "/app/alpha/imports/", {"file": ContentFile(MESSY.encode(), name="x.csv")}
        ).status_code
        == 403
    )


def test_cancel_during_a_run_stops_at_the_next_batch_and_keeps_what_is_done(
    org_a, alice, settings, monkeypatch
):
    settings.IMPORT_BATCH_ROWS = 2
    rows = "".join(f"Kid{n},Lee\n" for n in range(10))
    job = confirm(org_a, work(org_a, upload(org_a, alice, "First name,Last name\n" + rows)))
    with tenant(org_a):
        services.job_start(job=job, by=alice)
    run_batch = work_services._run_batch

    def cancel_after_the_first(job, *args):
        run_batch(job, *args)
        services.job_cancel(job=job, by=alice)  # as the Cancel button does, while the worker runs

    monkeypatch.setattr(work_services, "_run_batch", cancel_after_the_first)
    job = work(org_a, job)
    assert (job.status, job.processed_rows, job.created) == ("cancelled", 2, 2)
    with tenant(org_a):
        assert Customer.objects.count() == 2


def test_matching_by_phone_updates_the_one_customer_and_refuses_a_shared_number(org_a, alice):
    with tenant(org_a):
        one = customer(first_name="Ana", last_name="Lee", phone="(312) 555-0101")
        customer(first_name="Bo", last_name="Kim", phone="312-555-0199")
        customer(first_name="Cy", last_name="Kim", phone="3125550199")
    text = "Mobile,City\n312.555.0101,Chicago\n(312) 555-0199,Evanston\n"
    job = confirm(org_a, work(org_a, upload(org_a, alice, text)), match_key="phone", mode="update")
    assert (job.to_update, job.error_rows) == (1, 1)
    with tenant(org_a):
        assert "2 customers have this phone" in ImportIssue.objects.get(job=job).message
    start(org_a, job)
    with tenant(org_a):
        one.refresh_from_db()
        assert one.city == "Chicago"


def test_the_same_file_imported_again_changes_nothing(org_a, alice):
    first = start(org_a, confirm(org_a, work(org_a, upload(org_a, alice, MESSY))))
    again = confirm(org_a, work(org_a, upload(org_a, alice, MESSY)))
    assert (again.to_create, again.to_update, again.unchanged) == (0, 0, first.created)
    again = start(org_a, again)
    assert (again.created, again.updated, again.kept) == (0, 0, first.created)
    with tenant(org_a):
        assert Note.objects.filter(text="Allergic to nuts").count() == 1
