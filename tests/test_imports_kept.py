"""The run writes the rows as the dry run read them (imports.kept), checking again only the roster, unless the
rules for reading them changed in between; and the other tenant."""

from pathlib import Path

from accounts.tenancy import tenant
from customers import services as customer_services
from customers.fields import load_custom_data
from customers.models import Customer
from imports.models import ImportIssue, ImportJob
from tests.factories import customer
from tests.import_helpers import confirm, start, upload, work

CSV = (
    "First name,Last name,Email,Birthday,Joined club,Visits,Size\r\n"
    "Ana,García,ana@example.com,2015-03-14,2024-09-01,12.50,M\r\n"
    "Ben,Okafor,ben@example.com,2012-07-01,,3,\r\n"
    "Cleo,Ito,,2013-01-02,,,L\r\n"
)


def _dry_run(org, user, fields) -> ImportJob:
    job = work(org, upload(org, user, CSV))
    mapping = ["first_name", "last_name", "email", "birthday"] + [
        fields[name].name for name in ("joined", "visits", "size")
    ]
    return confirm(org, job, mapping=mapping, date_format="ymd")


def _kept_file(job: ImportJob) -> Path:
    upload_path = Path(job.file.path)
    return upload_path.with_name(f"{upload_path.name}.rows")


def test_the_run_writes_what_the_dry_run_read_without_reading_the_file_again(org_a, alice, fields):
    job = _dry_run(org_a, alice, fields)
    assert (job.to_create, job.error_rows) == (3, 0)
    assert _kept_file(job).exists()
    assert f"/org/{org_a.pk}/" in str(_kept_file(job))  # in the organization's folder
    Path(job.file.path).write_bytes(b"\x00 not a spreadsheet any more")  # the run must not need it
    job = start(org_a, job)
    assert (job.status, job.created, job.skipped) == (ImportJob.Status.DONE, 3, 0), job.message
    with tenant(org_a):
        ana = Customer.objects.get(email="ana@example.com")
        load_custom_data([ana])
        assert ana.birthday.isoformat() == "2015-03-14"
        assert ana.custom_data[fields["joined"].name].isoformat() == "2024-09-01"
        assert str(ana.custom_data[fields["visits"].name]) == "12.5"
        assert ana.custom_data[fields["size"].name] == fields["size"].options.get(label="M").pk
    assert not _kept_file(job).exists()  # gone with the job


def test_the_roster_is_checked_again_at_the_run(org_a, alice, fields):
    job = _dry_run(org_a, alice, fields)
    with tenant(org_a):  # someone adds Ben by hand between the dry run and the run
        ben = customer(first_name="Benjamin", last_name="Okafor", email="ben@example.com")
    job = start(org_a, job)
    assert (job.created, job.updated) == (2, 1)
    with tenant(org_a):
        ben.refresh_from_db()
        assert (ben.first_name, ben.birthday.isoformat()) == ("Ben", "2012-07-01")
        assert Customer.objects.filter(email="ben@example.com").count() == 1


def test_a_rule_changed_since_the_dry_run_reads_the_file_again(org_a, alice, fields):
    job = _dry_run(org_a, alice, fields)
    size = fields["size"]
    with tenant(org_a):  # the size L is retired: Cleo's row no longer reads
        options = [
            {"option": item, "retired": item.label == "L", "delete": False} for item in size.options.all()
        ]
        customer_services.custom_field_save(field=size, options=options, by=alice)
    job = start(org_a, job)
    assert (job.created, job.skipped) == (2, 1)
    with tenant(org_a):
        issue = ImportIssue.objects.get(job=job)
        assert (issue.row, issue.column) == (4, "Size")
        assert "“L” is not an option of T-shirt size" in issue.message
        assert not Customer.objects.filter(first_name="Cleo").exists()


def test_the_other_organization_never_reads_them(org_a, org_b, alice, bob, fields):
    job = _dry_run(org_a, alice, fields)
    with tenant(org_b):
        assert not ImportJob.objects.filter(pk=job.pk).exists()
    assert f"/org/{org_b.pk}/" not in str(_kept_file(job))
    job = start(org_a, job)
    with tenant(org_b):
        assert not Customer.objects.exists()
