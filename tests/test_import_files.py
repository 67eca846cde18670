"""Roster imports, reading the file: encodings, delimiters, Excel workbooks, formula cells, and files too
big, broken or hostile to open, refused with a clear message."""

import io
import random
import zipfile
from datetime import date

import pytest
import xlsxwriter
from django.core.files.base import ContentFile

from accounts.tenancy import tenant
from customers.models import Customer
from imports import services
from imports.models import ImportJob
from imports.reading import ImportFileError
from tests.import_helpers import confirm, start, upload, work
from tests.inbox import csv_rows


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
    errors_cell = csv_rows(alice_client.get(f"/app/alpha/imports/{job.pk}/errors.csv"))[1][-1]
    assert errors_cell.startswith("'-Email: ")


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
