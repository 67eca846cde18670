"""Roster imports, saying what is wrong: every error names its column, a duplicate names the earlier row,
and a cell too long to import is named by row and column without blaming quotes that are not there."""

import io
import zipfile

import openpyxl
import pytest
from django.core.files.base import ContentFile

from accounts.tenancy import tenant
from imports import services
from imports.models import ImportIssue, ImportJob
from tests.factories import customer
from tests.import_helpers import confirm, upload, work


def _issues(org, job) -> dict[int, tuple[str, str]]:
    with tenant(org):
        return {issue.row: (issue.column, issue.message) for issue in ImportIssue.objects.filter(job=job)}


def test_a_missing_name_and_duplicates_in_the_file_name_their_column_and_the_earlier_row(
    alice_client, org_a, alice
):
    text = (
        "First name,Last name,E-mail,Member no\n"
        "Ana,Lee,ana@example.com,A-1\n"
        ",Okafor,ben@example.com,A-2\n"
        "Dan,Ito,ANA@example.com,A-3\n"
        "Eve,Moss,eve@example.com,a-1\n"
    )
    job = confirm(
        org_a, work(org_a, upload(org_a, alice, text)), mapping=["first_name", "last_name", "email", "number"]
    )
    assert _issues(org_a, job) == {
        3: ("First name", "First name is required to add a customer."),
        4: ("E-mail", "Same email as row 2."),
        5: ("Member no", "Same customer number as row 2."),
    }
    page = alice_client.get(f"/app/alpha/imports/{job.pk}/").text
    assert "<td>E-mail</td><td>Same email as row 2.</td>" in page and "<td>—</td>" not in page


def test_a_full_name_without_a_last_name_and_a_clash_with_the_roster_name_their_column(org_a, alice):
    with tenant(org_a):
        ben = customer(first_name="Ben", last_name="Okafor", email="ben@example.com", number="B-7")
    text = "Name,Email,Customer number\nCher,cher@example.com,\nAna Lee,ana@example.com,B-7\n"
    job = confirm(org_a, work(org_a, upload(org_a, alice, text)))
    assert _issues(org_a, job) == {
        2: ("Name", "Last name is required to add a customer."),
        3: ("Customer number", f"This customer number belongs to Ben Okafor (#{ben.pk})."),
    }


def _workbook_with_a_long_cell() -> bytes:
    """Excel and the libraries stop a cell at 32,767 characters; a file made by other means need not."""
    workbook = openpyxl.Workbook()
    workbook.active.append(["First name", "Notes"])
    workbook.active.append(["Ana", "y" * 32_767])
    buffer, patched = io.BytesIO(), io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as original, zipfile.ZipFile(patched, "w") as archive:
        for item in original.infolist():
            archive.writestr(item, original.read(item).replace(b"y" * 32_767, b"y" * 100_001))
    return patched.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "where", "quote_blamed"),
    [
        (
            "long.csv",
            b"First name,Notes\r\nAna,Lee\r\nBen," + b"x" * 150_000 + b"\r\n",
            "Row 3, column “Notes”",
            False,
        ),
        (
            "quoted.csv",
            b'First name,Notes\r\nAna,"' + b"x" * 150_000 + b'"\r\n',
            "Row 2, column “Notes”",
            False,
        ),
        (
            "open.csv",
            b'First name,Last name,Email\r\nAna,"Garc,ana@example.com\r\n'
            + b"Ben,Okafor,ben@example.com\r\n" * 5_000,
            "Row 2, column “Last name”",
            True,
        ),
        (
            "long.xlsx",
            _workbook_with_a_long_cell(),
            "Row 2, column “Notes”",
            False,
        ),
    ],
)
def test_a_cell_too_long_is_named_by_row_and_column_and_a_quote_is_blamed_only_when_left_open(
    org_a, alice, name, content, where, quote_blamed
):
    with tenant(org_a):
        job = work(org_a, services.job_create(file=ContentFile(content), file_name=name, by=alice))
    assert job.status == ImportJob.Status.FAILED
    assert job.message.startswith(f"{where}, has a cell longer than 100,000 characters")
    assert ("quote" in job.message) is quote_blamed
