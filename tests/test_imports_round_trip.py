"""Roster imports a new user can trust: the app's own export and error file come back in changing nothing that
was not edited (the `'` the export puts before formula-like cells is taken off again)."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from accounts.tenancy import tenant
from customers.models import Customer
from imports import services
from notes import services as note_services
from notes.models import Note
from tags import services as tag_services
from tags.models import CustomerTag, Tag
from tests.custom_field_helpers import option_id
from tests.factories import customer
from tests.import_helpers import confirm, start, upload, work
from tests.inbox import csv_rows


def _roster(fields):
    """Customers whose cells the export guards (+phones, names starting with - = @), notes, tags, custom
    values."""
    vip = Tag.objects.create(name="VIP")
    custom = {
        f"cf_{fields['size'].pk}": option_id(fields["size"], "M"),
        f"cf_{fields['visits'].pk}": Decimal("3"),
        f"cf_{fields['sports'].pk}": [
            option_id(fields["sports"], "Swim"),
            option_id(fields["sports"], "Climb"),
        ],
        f"cf_{fields['joined'].pk}": date(2024, 9, 1),
    }
    ana = customer(
        first_name="-Ana", last_name="=Lee", email="ana@example.com", phone="+1 555 123 0011",
        birthday=date(2015, 3, 14), marketing_opt_in=True, city="Springfield", **custom,
    )  # fmt: skip
    customer(first_name="Ben", last_name="@Okafor", email="ben@example.com", phone="+44 20 7946 0018")
    for text in ("-Allergic to nuts", "Picks up at 5"):
        note_services.note_add(customer=ana, text=text, visibility="staff", pinned=False, by=None)
    tag_services.tag_add(customer=ana, tag=vip, by=None)


def _snapshot():
    people = Customer.objects.order_by("pk").values_list(
        "first_name", "last_name", "email", "phone", "birthday", "marketing_opt_in", "city", "updated_at"
    )
    notes = sorted(Note.objects.values_list("customer_id", "text"))
    return list(people), notes, CustomerTag.objects.count(), Customer.objects.count()


def _import(org, user, content: bytes, name: str):
    with tenant(org):
        job = services.job_create(file=ContentFile(content), file_name=name, by=user)
    return start(org, confirm(org, work(org, job)))


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_unedited_export_imported_again_changes_nothing(alice_client, org_a, alice, fields, file_format):
    with tenant(org_a):
        _roster(fields)
        before = _snapshot()
    exported = b"".join(alice_client.get(f"/app/alpha/customers/export.{file_format}").streaming_content)
    job = _import(org_a, alice, exported, f"export.{file_format}")
    assert (job.created, job.updated, job.kept, job.skipped) == (0, 0, 2, 0)
    with tenant(org_a):
        assert _snapshot() == before


def test_an_edited_export_changes_only_the_edited_cells(alice_client, org_a, alice, fields):
    with tenant(org_a):
        _roster(fields)
    rows = csv_rows(alice_client.get("/app/alpha/customers/export.csv"))
    header = rows[0]
    rows[1][header.index("City")] = "Shelbyville"
    rows[1][header.index("Notes")] += "\n---\n-Moved house"
    rows[2][header.index("Phone")] = "'+1 555 123 0012"
    rows[2][header.index("Marketing emails")] = "Yes"
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    job = _import(org_a, alice, buffer.getvalue().encode(), "edited.csv")
    assert (job.created, job.updated, job.kept) == (0, 2, 0)
    with tenant(org_a):
        ana, ben = Customer.objects.order_by("pk")
        assert (ana.first_name, ana.last_name, ana.phone, ana.city) == (
            "-Ana",
            "=Lee",
            "+1 555 123 0011",
            "Shelbyville",
        )
        assert (ben.last_name, ben.phone, ben.marketing_opt_in) == ("@Okafor", "+1 555 123 0012", True)
        assert sorted(Note.objects.values_list("text", flat=True)) == [
            "-Allergic to nuts", "-Moved house", "Picks up at 5",
        ]  # fmt: skip


def test_an_error_file_fixed_and_uploaded_again_keeps_what_was_not_edited(alice_client, org_a, alice):
    text = (
        "First name,Last name,Email,Phone,Notes\n"
        "=Ana,-Lee,ana@example,+1 555 123 0011,- call before noon\n"
        "Ben,Okafor,ben@example.com,+1 555 123 0012,\n"
    )
    job = start(org_a, confirm(org_a, work(org_a, upload(org_a, alice, text))))
    assert (job.created, job.skipped) == (1, 1)
    rows = csv_rows(alice_client.get(f"/app/alpha/imports/{job.pk}/errors.csv"))
    assert rows[1][:4] == ["'=Ana", "'-Lee", "ana@example", "'+1 555 123 0011"]  # guarded for spreadsheets
    rows[1][2] = "ana@example.com"
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    fixed = _import(org_a, alice, buffer.getvalue().encode(), "customers-errors.csv")
    assert (fixed.created, fixed.skipped) == (1, 0)
    with tenant(org_a):
        ana = Customer.objects.get(email="ana@example.com")
        assert (ana.first_name, ana.last_name, ana.phone) == ("=Ana", "-Lee", "+1 555 123 0011")
        assert list(Note.objects.filter(customer=ana).values_list("text", flat=True)) == [
            "- call before noon"
        ]


def test_only_the_guard_is_taken_off_a_quote_of_their_own_stays(org_a, alice):
    text = "First name,Last name,City\n'Ana,O'Neil,'s-Hertogenbosch\n'+Ben,'' -x,'\n"
    start(org_a, confirm(org_a, work(org_a, upload(org_a, alice, text))))
    with tenant(org_a):
        people = list(Customer.objects.order_by("pk").values_list("first_name", "last_name", "city"))
    assert people == [("'Ana", "O'Neil", "'s-Hertogenbosch"), ("+Ben", "'' -x", "'")]
