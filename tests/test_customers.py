"""Customers one at a time: adding and editing them, the profile and its tabs, archive, restore and delete —
and the other tenant."""

import re
from datetime import date, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.tenancy import tenant
from customers import fields
from customers.models import Activity, Customer
from tests.customer_helpers import HTMX, roster_url
from tests.factories import customer


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


def test_a_tab_link_swaps_only_the_tab_content(
    alice_client, org_a, jane, beta_customer, django_assert_max_num_queries
):
    activity = f"/app/{org_a.slug}/customers/{jane.pk}/activity/"
    page = alice_client.get(f"/app/{org_a.slug}/customers/{jane.pk}/").text
    assert re.search(rf'hx-get="{activity}"\s+hx-target="#profile-panel"', page)
    with django_assert_max_num_queries(10):  # no tab counts, no boxes above the tabs
        panel = alice_client.get(activity, **HTMX, HTTP_HX_TARGET="profile-panel").text
    assert "Created" in panel
    assert 'role="tablist"' not in panel and 'id="profile-panel"' not in panel and "<html" not in panel
    other = f"/app/{org_a.slug}/customers/{beta_customer.pk}/activity/"
    assert alice_client.get(other, **HTMX, HTTP_HX_TARGET="profile-panel").status_code == 404


def test_a_profile_reads_the_custom_fields_once(alice_client, org_a, jane):
    with mock.patch.object(fields, "_cached_registry", wraps=fields._cached_registry) as registry:
        page = alice_client.get(f"/app/{org_a.slug}/customers/{jane.pk}/").text
    assert "jane@alpha.example" in page
    assert registry.call_count == 1  # the Info tab, the form responses box and the custom values share it


def test_the_roster_reads_the_custom_fields_once(alice_client, org_a, jane):
    with mock.patch.object(fields, "_cached_registry", wraps=fields._cached_registry) as registry:
        page = alice_client.get(roster_url(org_a, "?q=jane")).text
    assert "Smith, Jane" in page
    assert registry.call_count == 1  # the filter panel, the search and the columns share it


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
        labels = set(Activity.objects.values_list("customer_label", flat=True))
    assert record.customer_label == f"Deleted customer (#{jane.pk})"
    assert labels == {f"Deleted customer (#{jane.pk})"}  # the name is in no record of them


def test_another_organizations_customer_is_404_everywhere(alice_client, org_a, beta_customer):
    for suffix in ("", "activity/", "edit/", "delete/"):
        assert alice_client.get(f"/app/{org_a.slug}/customers/{beta_customer.pk}/{suffix}").status_code == 404
    for suffix in ("archive/", "restore/", "edit/", "delete/"):
        assert (
            alice_client.post(f"/app/{org_a.slug}/customers/{beta_customer.pk}/{suffix}").status_code == 404
        )


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


def test_switching_tabs_by_htmx_sends_the_tab_area_without_the_side_boxes(
    alice_client, org_a, jane, django_assert_max_num_queries
):
    url = f"/app/{org_a.slug}/customers/{jane.pk}/activity/"
    page = alice_client.get(url).text
    assert 'id="profile-tabs"' in page and "Add a tag…" in page  # the Tags box, beside the tabs
    with django_assert_max_num_queries(15):  # no side boxes; the past-due alert and duplicate box: one each
        tab = alice_client.get(url, **HTMX, HTTP_HX_TARGET="profile-tabs").text
    assert 'role="tablist"' in tab and "Add a tag…" not in tab
