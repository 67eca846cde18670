"""Roster imports: reading files, mapping, the dry run, the run and its report."""

import csv
import io
import random
import zipfile
from datetime import date

import pytest
import xlsxwriter
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tenancy import tenant
from customers import services as customer_services
from customers.models import Activity, Customer
from imports import services
from imports.models import ImportIssue, ImportJob
from imports.reading import ImportFileError
from notes.models import Note
from tests.conftest import make_user
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
    assert job.delimiter == ";" and job.total_rows == 6
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


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 400_000_000)
    return buffer.getvalue()


def _workbook(rows) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet, as_date = workbook.add_worksheet(), workbook.add_format({"num_format": "yyyy-mm-dd"})
    for index, row in enumerate(rows):
        for column, value in enumerate(row):
            sheet.write(index, column, value, as_date if isinstance(value, date) else None)
    workbook.close()
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "The file is empty."),
        ("blank.csv", b"\r\n\r\n", "The file is empty."),
        ("header.csv", b"First name,Last name\r\n", "header row but no customers"),
        ("garbage.csv", bytes(range(256)) * 50, "does not look like a CSV"),
        ("renamed.xlsx", b"First name\nAna\n", "not a valid Excel file"),
        ("broken.xlsx", b"PK\x03\x04garbage", "not a valid Excel file"),
        ("bomb.xlsx", None, "unpacks to far more data"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Old Excel files"),
        (
            "wide.csv",
            (",".join(f"c{i}" for i in range(100_000)) + "\r\n" + "x," * 99_999 + "x").encode(),
            "100,000 columns",
        ),
        (
            "cell.csv",
            b'First name,Note\r\nAna,"' + b"x" * 10_000_000 + b'"\r\n',
            "longer than 100,000 characters",
        ),
        (
            "quote.csv",
            b'First name,Last name\r\nAna,"Garc\r\n' + b"Ben,Okafor\r\n" * 20_000,
            "longer than 100,000",
        ),
    ],
)
def test_bad_files_fail_with_a_clear_message(org_a, alice, name, content, message):
    content = _zip_bomb() if content is None else content
    with tenant(org_a):
        try:
            job = services.job_create(file=ContentFile(content), file_name=name, by=alice)
        except ImportFileError as error:
            assert message in str(error)
            return
    job = work(org_a, job)
    assert job.status == ImportJob.Status.FAILED
    assert message in job.message


def _shared_strings_bomb(part: str) -> bytes:
    """A real workbook whose shared strings (stored under `part`, declared in its manifest) unpack to 3 MB
    of one-letter strings: beside a little incompressible padding, a ratio and a total that look ordinary."""
    strings = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    strings += b"<si><t>a</t></si>" * 180_000 + b"</sst>"
    original = zipfile.ZipFile(io.BytesIO(_workbook([["First name", "Last name"], ["Ana", "Lee"]])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in original.infolist():
            content = original.read(item.filename)
            if item.filename == "[Content_Types].xml":
                content = content.replace(b"/xl/sharedStrings.xml", f"/{part}".encode())
            if item.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(b'"sharedStrings.xml"', f'"/{part}"'.encode())
            if item.filename == "xl/sharedStrings.xml":
                item.filename, content = part, strings
            archive.writestr(item.filename, content)
        archive.writestr("xl/media/padding.bin", random.Random(0).randbytes(200_000))
    return buffer.getvalue()


@pytest.mark.parametrize("part", ["xl/sharedStrings.xml", "xl/worksheets/sheet2.xml"])
def test_an_xlsx_whose_shared_strings_unpack_past_the_limit_fails_unopened(org_a, alice, settings, part):
    settings.IMPORT_MAX_XLSX_PART_BYTES = 1_000_000
    job = work(org_a, upload_bytes(org_a, alice, _shared_strings_bomb(part)))
    assert job.status == ImportJob.Status.FAILED
    assert "unpacks to far more data than a customer list holds" in job.message


def upload_bytes(org, user, content: bytes) -> ImportJob:
    with tenant(org):
        return services.job_create(file=ContentFile(content), file_name="bomb.xlsx", by=user)


@pytest.mark.parametrize(
    ("text", "encoding", "delimiter"),
    [
        ("First name\tLast name\tEmail\nJosé\tNúñez\tjose@example.com\n", "utf-16", "\t"),
        ("First name;Last name;Email\r\nJosé;Núñez;jose@example.com\r\n", "cp1252", ";"),
        ("\ufeffFirst name|Last name|Email\nJosé|Núñez|jose@example.com\n", "utf-8", "|"),
    ],
)
def test_encodings_and_delimiters_are_detected(org_a, alice, text, encoding, delimiter):
    job = confirm(org_a, work(org_a, upload(org_a, alice, text, encoding=encoding)))
    assert job.delimiter == delimiter and job.to_create == 1
    start(org_a, job)
    with tenant(org_a):
        assert Customer.objects.get(email="jose@example.com").last_name == "Núñez"


def test_a_mixed_encoding_file_reads_the_odd_lines_as_windows_text(org_a, alice):
    content = "First name,Last name\nJosé,Núñez\n".encode() + "Renée,Müller\n".encode("cp1252")
    with tenant(org_a):
        job = services.job_create(file=ContentFile(content), file_name="mixed.csv", by=alice)
    start(org_a, confirm(org_a, work(org_a, job)))
    with tenant(org_a):
        assert set(Customer.objects.values_list("last_name", flat=True)) == {"Núñez", "Müller"}


def test_an_excel_workbook_is_imported(org_a, alice):
    rows = [["First name", "Last name", "Birthday", "Marketing"], ["Ana", "Lee", date(2016, 5, 4), True]]
    with tenant(org_a):
        job = services.job_create(file=ContentFile(_workbook(rows)), file_name="list.xlsx", by=alice)
    job = work(org_a, job)
    assert job.file_format == "xlsx" and job.mapping == [
        "first_name",
        "last_name",
        "birthday",
        "marketing_opt_in",
    ]
    start(org_a, confirm(org_a, job))
    with tenant(org_a):
        ana = Customer.objects.get()
        assert ana.birthday == date(2016, 5, 4) and ana.marketing_opt_in


def test_formula_cells_are_kept_as_text_and_neutralized_in_the_error_file(alice_client, org_a, alice):
    job = confirm(
        org_a, work(org_a, upload(org_a, alice, 'First name,Last name,Email\n=HYPERLINK("x"),A,bad\n'))
    )
    errors = b"".join(alice_client.get(f"/app/alpha/imports/{job.pk}/errors.csv").streaming_content).decode()
    assert "'=HYPERLINK" in errors


def test_the_error_files_errors_column_is_neutralized_too(alice_client, org_a, alice):
    job = confirm(org_a, work(org_a, upload(org_a, alice, "First name,Last name,-Email\nAna,A,bad\n")))
    rows = b"".join(alice_client.get(f"/app/alpha/imports/{job.pk}/errors.csv").streaming_content)
    errors_cell = list(csv.reader(io.StringIO(rows.decode("utf-8-sig"))))[1][-1]
    assert errors_cell.startswith("'-Email: ")


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
        services.job_cancel(job=job)
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
    assert alice_client.get(base + "report/").status_code == 200


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
        services.job_start(job=job)
    run_batch = services._run_batch

    def cancel_after_the_first(job, *args):
        run_batch(job, *args)
        services.job_cancel(job=job)  # as the Cancel button does, while the worker runs

    monkeypatch.setattr(services, "_run_batch", cancel_after_the_first)
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


def test_the_upload_form_says_what_is_wrong_next_to_the_field(alice_client, org_a, settings):
    settings.IMPORT_MAX_BYTES = 100
    for name, content, message in [
        ("list.pdf", b"%PDF-1.7", "Upload a CSV or an Excel (.xlsx) file."),
        (
            "big.csv",
            b"First name\n" + b"Ana\n" * 50,
            "an import takes up to 100\xa0bytes.",
        ),
        ("empty.csv", b"", "The submitted file is empty."),
    ]:
        page = alice_client.post(
            "/app/alpha/imports/", {"file": ContentFile(content, name=name)}
        ).content.decode()
        assert message in page and "invalid-feedback" in page
    with tenant(org_a):
        assert not ImportJob.objects.exists()
