"""Roster imports: reading files, mapping, the dry run, the run and its report."""

import pytest
from django.core.files.base import ContentFile

from accounts.tenancy import tenant
from customers.models import Activity, Customer
from imports import services
from imports.models import ImportIssue, ImportJob
from tests.factories import customer

MESSY = (
    "First Name;Surname;E-mail;Mobile;DOB;Tags;Notes\r\n"
    "Ana;García;ANA@example.com;(555) 201-0001;03/14/2015;Soccer, VIP;Allergic to nuts\r\n"
    "Ben;Okafor;ben@example.com;555 201 0002;2012-07-01;;\r\n"
    "Cleo;;cleo@example;12;31/31/2010;;\r\n"
    "Dan;Ito;ana@example.com;;;;\r\n"
    ";;;;;;\r\n"
    'Eve;Moss;eve@example.com;;;Soccer;"Line one\nline two"\r\n'
)


def upload(
    org, user, text: str, name: str = "customers.csv", encoding: str = "utf-8", **options
) -> ImportJob:
    with tenant(org):
        return services.job_create(
            file=ContentFile(text.encode(encoding)), file_name=name, by=user, **options
        )


def work(org, job: ImportJob) -> ImportJob:
    services.job_work(organization=org, job_id=job.pk)
    with tenant(org):
        job.refresh_from_db()
    return job


def confirm(org, job: ImportJob, **changes) -> ImportJob:
    choices = {
        "mapping": job.mapping,
        "date_format": "auto",
        "match_key": "email",
        "mode": "upsert",
        "skip_errors": True,
        "tag_ids": [],
    } | changes
    with tenant(org):
        services.job_map(job=job, **choices)
    return work(org, job)


def start(org, job: ImportJob) -> ImportJob:
    with tenant(org):
        services.job_start(job=job)
    return work(org, job)


def test_messy_csv_is_read_mapped_dry_run_and_imported(org_a, alice):
    with tenant(org_a):
        existing = customer(first_name="Ben", last_name="Okafor", email="ben@example.com", phone="")
    job = work(org_a, upload(org_a, alice, MESSY))
    assert job.status == ImportJob.Status.MAPPING
    assert job.delimiter == ";" and job.total_rows == 6 and job.blank_rows == 1
    assert job.mapping == ["first_name", "last_name", "email", "phone", "birthday", "tags", "note"]
    job = confirm(org_a, job)
    assert job.status == ImportJob.Status.READY
    assert (job.to_create, job.to_update, job.unchanged, job.error_rows) == (2, 1, 0, 2)
    with tenant(org_a):
        issues = {(issue.row, issue.column): issue.message for issue in ImportIssue.objects.filter(job=job)}
    assert "is not an email address" in issues[(4, "E-mail")]
    assert "not a date" in issues[(4, "DOB")]
    assert "Same email as an earlier row" in issues[(5, "")]
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


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"First name,Last name\r\n", "no customers"),
        (bytes(range(256)) * 50, "does not look like a CSV"),
        (b"PK\x03\x04garbage", "not a valid Excel file"),
    ],
)
def test_bad_files_fail_with_a_clear_message(org_a, alice, content, message):
    with tenant(org_a):
        try:
            job = services.job_create(file=ContentFile(content), file_name="x.csv", by=alice)
        except Exception as error:
            assert message in str(error)
            return
    job = work(org_a, job)
    assert job.status == ImportJob.Status.FAILED
    assert message in job.message


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
    assert alice_client.get(base + "report/").status_code == 200
