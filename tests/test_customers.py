"""The roster page, adding and editing customers, the profile, archive, delete, bulk actions and exports."""

import csv
import io
import re
import time
import zipfile
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tenancy import tenant
from customers import services
from customers.models import Activity, BulkOperation, Customer
from tests.factories import customer

HTMX = {"HTTP_HX_REQUEST": "true"}
RESULTS = {**HTMX, "HTTP_HX_TARGET": "results"}


@pytest.fixture
def jane(org_a, org_b, alice):
    with tenant(org_a):
        return customer(
            first_name="Jane", last_name="Smith", email="jane@alpha.example", phone="(555) 123-4567", by=alice
        )


@pytest.fixture
def beta_customer(org_b, bob):
    with tenant(org_b):
        return customer(first_name="Bea", last_name="Beta", email="bea@beta.example", by=bob)


def roster_url(org, query: str = "") -> str:
    return f"/app/{org.slug}/customers/{query}"


def test_empty_roster_says_what_to_do(alice_client, org_a):
    page = alice_client.get(roster_url(org_a)).text
    assert "No customers yet" in page
    assert f"/app/{org_a.slug}/customers/new/" in page


def test_roster_lists_active_customers_and_hides_archived(alice_client, org_a, jane, alice, beta_customer):
    with tenant(org_a):
        gone = customer(first_name="Gary", last_name="Gone", by=alice)
        services.customer_archive(customer=gone, by=alice)
    page = alice_client.get(roster_url(org_a)).text
    assert "Smith, Jane" in page and "Gone, Gary" not in page
    assert "Beta, Bea" not in page
    archived = alice_client.get(roster_url(org_a, "?status=archived")).text
    assert "Gone, Gary" in archived and "Smith, Jane" not in archived


def test_search_as_you_type_returns_only_the_results_fragment(alice_client, org_a, jane):
    response = alice_client.get(roster_url(org_a, "?q=smi"), **RESULTS)
    assert "Smith, Jane" in response.text
    assert "<html" not in response.text
    assert 'id="roster-search"' not in response.text
    full = alice_client.get(roster_url(org_a, "?q=smi")).text
    assert 'value="smi"' in full


def test_close_matches_are_announced(alice_client, org_a, jane):
    page = alice_client.get(roster_url(org_a, "?q=Smtih")).text
    assert "Showing close matches for “Smtih”" in page
    assert "Smith, Jane" in page


def test_a_to_z_bar_filters_by_last_name_and_combines_with_search(alice_client, org_a, jane, alice):
    with tenant(org_a):
        customer(first_name="Jane", last_name="Adams", by=alice)
        customer(first_name="Zed", last_name="Ó Súilleabháin", by=alice)
        customer(first_name="Num", last_name="3rd Street Kids", by=alice)
    s_page = alice_client.get(roster_url(org_a, "?letter=s")).text
    assert "Smith, Jane" in s_page and "Adams, Jane" not in s_page
    assert "Ó Súilleabháin" in alice_client.get(roster_url(org_a, "?letter=o")).text
    other = alice_client.get(roster_url(org_a, "?letter=%23")).text
    assert "3rd Street Kids" in other and "Smith" not in other
    combined = alice_client.get(roster_url(org_a, "?letter=a&q=jane")).text
    assert "Adams, Jane" in combined and "Smith, Jane" not in combined


@pytest.mark.parametrize(
    "query",
    [
        "?page=abc",
        "?page=999",
        "?size=7",
        "?sort=password",
        "?letter=ab",
        "?status=gone",
        "?created_min=notadate",
        "?birthday_month=13",
        "?q=" + "x" * 5000,
        "?q=%25%25%5F",
    ],
)
def test_odd_parameters_never_break_the_roster(alice_client, org_a, jane, query):
    assert alice_client.get(roster_url(org_a, query)).status_code == 200


def test_filters_by_email_phone_source_birthday_month_and_creation(alice_client, org_a, alice, jane):
    with tenant(org_a):
        customer(first_name="No", last_name="Contact", birthday=date(2015, 3, 9), by=alice)
    assert "Contact, No" not in alice_client.get(roster_url(org_a, "?has_email=true")).text
    assert "Contact, No" in alice_client.get(roster_url(org_a, "?has_phone=false")).text
    march = alice_client.get(roster_url(org_a, "?birthday_month=3")).text
    assert "Contact, No" in march and "Smith, Jane" not in march
    assert "Smith, Jane" in alice_client.get(roster_url(org_a, "?source=staff")).text
    assert "Smith, Jane" not in alice_client.get(roster_url(org_a, "?source=import")).text
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert "Smith, Jane" not in alice_client.get(roster_url(org_a, f"?created_min={tomorrow}")).text


def test_a_date_range_filter_is_a_wide_from_to_pair_each_with_a_label(alice_client, org_a):
    panel = alice_client.get(roster_url(org_a)).text
    first_label = '<label class="form-label" id="id_created_0-label" for="id_created_0">Created between<'
    assert re.search(r'col-lg-4">\s*' + re.escape(first_label), panel)
    second_input = re.search(r'<input [^>]*id="id_created_1"[^>]*>', panel).group()
    assert 'aria-labelledby="id_created_0-label id_created_1-to"' in second_input
    assert '<span id="id_created_1-to" hidden>to</span>' in panel


def test_roster_runs_the_same_number_of_queries_whatever_the_page_size(alice_client, org_a, alice):
    with tenant(org_a):
        Customer.objects.bulk_create(
            Customer(first_name=f"Kid{n}", last_name=f"Family{n:03d}", phone=f"555-010-{n:04d}")
            for n in range(120)
        )

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert alice_client.get(url).status_code == 200
        return len(captured)

    queries(roster_url(org_a, ""))  # the first request fills the organization's field registry cache
    assert queries(roster_url(org_a, "?size=25")) == queries(roster_url(org_a, "?size=100"))
    assert queries(roster_url(org_a, "?size=25&q=fam")) == queries(roster_url(org_a, "?size=100&q=fam"))


def test_staff_adds_a_customer_and_it_is_logged(alice_client, org_a, alice):
    response = alice_client.post(
        f"/app/{org_a.slug}/customers/new/",
        {
            "first_name": "  Mia ",
            "last_name": "Lopez",
            "email": "Mia@Example.com",
            "phone": "312.555.0100",
            "birthday": "2018-05-04",
            "country": "US",
        },
    )
    with tenant(org_a):
        mia = Customer.objects.get(last_name="Lopez")
        assert response["Location"] == f"/app/{org_a.slug}/customers/{mia.pk}/"
        assert (mia.first_name, mia.email, mia.phone_digits) == ("Mia", "mia@example.com", "13125550100")
        event = Activity.objects.get(customer=mia)
    assert event.kind == Activity.Kind.CREATED and event.actor == alice
    assert event.changes["email"] == [None, "mia@example.com"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"phone": "12"}, "phone", "Enter a valid phone number"),
        ({"birthday": "2999-01-01"}, "birthday", "cannot be in the future"),
        ({"first_name": "   "}, "first_name", "This field is required."),
        ({"gender": "robot"}, "gender", "Select a valid choice"),
    ],
)
def test_add_form_shows_errors_next_to_fields_and_saves_nothing(
    alice_client, org_a, org_b, change, field, message
):
    data = {"first_name": "Mia", "last_name": "Lopez"} | change
    response = alice_client.post(f"/app/{org_a.slug}/customers/new/", data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    with tenant(org_a):
        assert not Customer.objects.exists()


def test_email_already_on_the_roster_links_to_that_customer(alice_client, org_a, jane, beta_customer):
    response = alice_client.post(
        f"/app/{org_a.slug}/customers/new/",
        {"first_name": "J", "last_name": "S", "email": "JANE@alpha.example"},
    )
    error = response.context["form"].errors["email"][0]
    assert f'href="/app/{org_a.slug}/customers/{jane.pk}/"' in error
    # Another organization's customer with that email is no obstacle, and is not revealed.
    ok = alice_client.post(
        f"/app/{org_a.slug}/customers/new/",
        {"first_name": "Bea", "last_name": "Alpha", "email": "bea@beta.example"},
    )
    assert ok.status_code == 302


def test_possible_duplicate_is_shown_before_saving_and_can_be_saved_anyway(alice_client, org_a, jane):
    data = {"first_name": "Janet", "last_name": "Smyth", "phone": "555-123-4567"}
    warned = alice_client.post(f"/app/{org_a.slug}/customers/new/", data)
    assert warned.status_code == 200
    assert "This may be" in warned.text and "Jane Smith" in warned.text
    with tenant(org_a):
        assert Customer.objects.count() == 1
    saved = alice_client.post(f"/app/{org_a.slug}/customers/new/", data | {"save_anyway": "1"})
    assert saved.status_code == 302
    with tenant(org_a):
        assert Customer.objects.count() == 2


def test_editing_records_before_and_after(alice_client, org_a, jane):
    url = f"/app/{org_a.slug}/customers/{jane.pk}/edit/"
    form = alice_client.get(url, **HTMX)
    assert 'name="first_name"' in form.text and "<html" not in form.text
    response = alice_client.post(
        url,
        {
            "first_name": "Janet",
            "last_name": "Smith",
            "email": "jane@alpha.example",
            "phone": "(555) 123-4567",
        },
        **HTMX,
    )
    assert response["HX-Redirect"] == f"/app/{org_a.slug}/customers/{jane.pk}/"
    activity = alice_client.get(f"/app/{org_a.slug}/customers/{jane.pk}/activity/").text
    assert "Updated" in activity and "<del>Jane</del>" in activity and "→ Janet" in activity


def test_profile_shows_a_birthday_banner_in_the_coming_week(alice_client, org_a, alice):
    # "Today" is the organization's (Chicago), not the test process's UTC: around midnight UTC they differ.
    soon = timezone.localdate(timezone=ZoneInfo(org_a.time_zone)) + timedelta(days=3)
    with tenant(org_a):
        kid = customer(
            first_name="Kai", last_name="Young", birthday=soon.replace(year=soon.year - 8), by=alice
        )
        adult = customer(
            first_name="Old",
            last_name="Timer",
            birthday=date(1970, 1, 1) if soon.month != 1 else date(1970, 6, 1),
            by=alice,
        )
    assert "Birthday in 3 days — turns 8" in alice_client.get(f"/app/{org_a.slug}/customers/{kid.pk}/").text
    assert "Birthday in" not in alice_client.get(f"/app/{org_a.slug}/customers/{adult.pk}/").text


def test_profile_tabs_have_their_own_urls_and_fragments(alice_client, org_a, jane):
    info = alice_client.get(f"/app/{org_a.slug}/customers/{jane.pk}/").text
    assert "Activity Log" in info and "jane@alpha.example" in info
    fragment = alice_client.get(f"/app/{org_a.slug}/customers/{jane.pk}/activity/", **HTMX).text
    assert "Created" in fragment and "<html" not in fragment


def test_archive_and_restore(alice_client, org_a, jane):
    alice_client.post(f"/app/{org_a.slug}/customers/{jane.pk}/archive/")
    assert "Archived" in alice_client.get(f"/app/{org_a.slug}/customers/{jane.pk}/").text
    assert "Smith, Jane" not in alice_client.get(roster_url(org_a)).text
    alice_client.post(f"/app/{org_a.slug}/customers/{jane.pk}/restore/")
    assert "Smith, Jane" in alice_client.get(roster_url(org_a)).text
    with tenant(org_a):
        kinds = list(Activity.objects.filter(customer=jane).values_list("kind", flat=True).order_by("id"))
    assert kinds == ["created", "archived", "restored"]


def test_only_admins_delete_and_the_deletion_is_recorded(alice_client, carol_client, org_a, jane):
    assert carol_client.post(f"/app/{org_a.slug}/customers/{jane.pk}/delete/").status_code == 403
    assert "Delete Jane Smith?" in alice_client.get(f"/app/{org_a.slug}/customers/{jane.pk}/delete/").text
    alice_client.post(f"/app/{org_a.slug}/customers/{jane.pk}/delete/")
    with tenant(org_a):
        assert not Customer.objects.filter(pk=jane.pk).exists()
        record = Activity.objects.get(kind=Activity.Kind.DELETED)
    assert record.customer_label == f"Jane Smith (#{jane.pk})"


def test_another_organizations_customer_is_404_everywhere(alice_client, org_a, beta_customer):
    for suffix in ("", "activity/", "edit/", "delete/"):
        assert alice_client.get(f"/app/{org_a.slug}/customers/{beta_customer.pk}/{suffix}").status_code == 404
    for suffix in ("archive/", "restore/", "edit/", "delete/"):
        assert (
            alice_client.post(f"/app/{org_a.slug}/customers/{beta_customer.pk}/{suffix}").status_code == 404
        )


def test_bulk_archive_ignores_ids_of_another_organization(alice_client, org_a, org_b, jane, beta_customer):
    response = alice_client.post(
        f"/app/{org_a.slug}/customers/bulk/", {"action": "archive", "ids": [jane.pk, beta_customer.pk, "x"]}
    )
    assert response.status_code == 302
    with tenant(org_a):
        assert Customer.objects.get(pk=jane.pk).is_archived
    with tenant(org_b):
        assert not Customer.objects.get(pk=beta_customer.pk).is_archived
        assert not Activity.objects.filter(kind=Activity.Kind.ARCHIVED).exists()


def test_bulk_on_all_matching_uses_the_search(alice_client, org_a, alice, jane):
    with tenant(org_a):
        other = customer(first_name="Other", last_name="Person", by=alice)
    alice_client.post(
        f"/app/{org_a.slug}/customers/bulk/", {"action": "archive", "all_matching": "1", "query": "q=smith"}
    )
    with tenant(org_a):
        assert Customer.objects.get(pk=jane.pk).is_archived
        assert not Customer.objects.get(pk=other.pk).is_archived


@pytest.mark.django_db(transaction=True)
def test_large_bulk_action_runs_in_the_worker_with_progress(
    celery_worker, alice_client, org_a, alice, monkeypatch
):
    monkeypatch.setattr(services, "BULK_INLINE_LIMIT", 3)
    with tenant(org_a):
        Customer.objects.bulk_create(Customer(first_name=f"K{n}", last_name=f"Bulk{n}") for n in range(8))
    response = alice_client.post(
        f"/app/{org_a.slug}/customers/bulk/", {"action": "archive", "all_matching": "1", "query": "q=bulk"}
    )
    assert "&bulk=" in response["Location"]
    page = alice_client.get(response["Location"]).text
    assert "Archive: 8 customers" in page or "Done: 8 customers archived" in page
    with tenant(org_a):
        operation = BulkOperation.objects.get()
    for _ in range(100):
        progress = alice_client.get(f"/app/{org_a.slug}/customers/bulk/{operation.pk}/")
        if progress.status_code == 286:
            break
        time.sleep(0.1)
    assert "Done: 8 customers archived" in progress.text
    with tenant(org_a):
        assert Customer.objects.filter(archived_at=None).count() == 0
        assert Activity.objects.filter(kind=Activity.Kind.ARCHIVED).count() == 8


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_export_csv_neutralizes_formulas_and_keeps_to_the_organization(
    alice_client, org_a, alice, jane, beta_customer
):
    with tenant(org_a):
        customer(first_name='=HYPERLINK("http://evil")', last_name="+Plus", city="@SUM(A1)", by=alice)
    rows = read_csv(alice_client.get(f"/app/{org_a.slug}/customers/export.csv"))
    assert rows[0][:3] == ["First name", "Last name", "Email"]
    flat = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://evil")' in flat and "'+Plus" in flat and "'@SUM(A1)" in flat
    assert "jane@alpha.example" in flat and "bea@beta.example" not in flat
    selected = read_csv(
        alice_client.post(f"/app/{org_a.slug}/customers/export.csv", {"ids": [beta_customer.pk]})
    )
    assert selected == [rows[0]]


def test_export_header_neutralizes_formulas_in_admin_set_labels(alice_client, org_a, jane):
    from customers.models import STAFF_AUDIENCES, CustomField, FieldType

    with tenant(org_a):
        field = CustomField(
            label='=HYPERLINK("http://evil")',
            type=FieldType.TEXT,
            visible_to=list(STAFF_AUDIENCES),
            editable_by=list(STAFF_AUDIENCES),
        )
        services.custom_field_save(field=field, options=[])
    header = read_csv(alice_client.get(f"/app/{org_a.slug}/customers/export.csv"))[0]
    assert '\'=HYPERLINK("http://evil")' in header and '=HYPERLINK("http://evil")' not in header


def test_export_xlsx_is_a_workbook_of_the_filtered_list(alice_client, org_a, jane, alice):
    with tenant(org_a):
        customer(first_name="Zed", last_name="Zulu", by=alice)
    response = alice_client.get(f"/app/{org_a.slug}/customers/export.xlsx?q=smith")
    workbook = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    strings = (
        workbook.read("xl/sharedStrings.xml").decode()
        if "xl/sharedStrings.xml" in workbook.namelist()
        else ""
    )
    sheet = workbook.read("xl/worksheets/sheet1.xml").decode()
    assert "Smith" in strings + sheet and "Zulu" not in strings + sheet


def test_export_is_its_own_permission(org_a, jane, carol_client):
    assert carol_client.get(f"/app/{org_a.slug}/customers/export.csv").status_code == 403
    assert "Export CSV" not in carol_client.get(roster_url(org_a)).text


def test_a_february_29_birthday_is_announced_for_march_1_in_common_years():
    from customers.selectors import birthday_banner

    assert birthday_banner(date(2016, 2, 29), date(2027, 2, 26)) == "Birthday in 3 days — turns 11"
    assert birthday_banner(date(2016, 2, 29), date(2028, 2, 29)) == "Birthday today — turns 12"


@pytest.mark.parametrize("page", ["", "notes/", "metrics/", "family/", "activity/"])
def test_every_profile_page_keeps_customers_marked_in_the_menu(alice_client, org_a, jane, page):
    """Feature apps mount their profile pages in namespaces of their own; the menu still marks Customers."""
    body = alice_client.get(f"/app/{org_a.slug}/customers/{jane.pk}/{page}").text
    menu = body.split('aria-label="Main"')[1].split("</nav>")[0]
    customers_link = menu.split(">Customers</a>")[0].rsplit("<a ", 1)[1]
    assert "active" in customers_link
    assert "active" not in menu.split(">Customers</a>")[1]
