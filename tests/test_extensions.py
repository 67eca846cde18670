"""The extension APIs: a feature app adds a profile tab, a roster column, filter, bulk action and export
column, a kind of event, a main menu entry and a Settings tab, without a line of customers/ or accounts/
changing; the order is its own."""

import re

import django_filters
import pytest
from django.core.exceptions import ImproperlyConfigured

from accounts import navigation
from accounts.navigation import Page, register_main_page, register_settings_page
from accounts.tenancy import tenant
from customers import extend
from customers.extend import (
    ActivityKinds,
    BulkAction,
    BulkActionError,
    ExportColumn,
    ProfileTab,
    RosterColumn,
    RosterFilters,
    register,
    registered,
)
from customers.models import Customer
from customers.services import activity_record
from tests.factories import customer
from tests.inbox import csv_rows


@pytest.fixture
def plug_in():
    """Register extensions for one test, as a feature app's ready() would, and take them out after."""
    added = []

    def plug(*extensions):
        register(*extensions)
        added.extend(extensions)

    yield plug
    for extension in added:
        del extend._registry[type(extension)][extension.key]


@pytest.fixture
def people(org_a, org_b, alice):
    with tenant(org_a):
        return [
            customer(first_name="Ann", last_name="Probe", email="ann@alpha.example", by=alice),
            customer(first_name="Ben", last_name="Probe", by=alice),
        ]


def _stars(customers, membership):
    for item in customers:
        item.stars = f"★ {item.first_name}"


def _starred(audience):
    return {
        "starred": django_filters.BooleanFilter(
            label="Starred", method=lambda queryset, name, value: queryset.filter(first_name="Ann")
        )
    }


def _star(*, customer_ids, by, params):
    for item in Customer.objects.filter(pk__in=customer_ids):
        activity_record(customer=item, by=by, kind="star", detail=f"Starred {params['stars']}×")
    return len(customer_ids)


def _stars_param(post):
    if not post.get("stars", "").isdigit():
        raise BulkActionError("Say how many stars.")
    return {"stars": int(post["stars"])}


def test_a_feature_app_adds_a_tab_box_column_filter_bulk_action_export_column_and_event_kind(
    plug_in, alice_client, org_a, people
):
    plug_in(
        ProfileTab("stars", "Stars", "customers:activity", "customers/activity_tab.html", order=500),
        RosterColumn("stars", "Stars", "email", lambda customer: customer.stars, _stars, order=99),
        RosterFilters("stars", _starred, order=1),
        BulkAction("star", "Star", "starred", _star, order=1, params=_stars_param),
        ExportColumn("stars", "Stars", lambda ids, membership: dict.fromkeys(ids, "★"), order=1),
        ActivityKinds("stars", "Stars", {"star": "Starred"}, order=1),
    )
    ann, ben = people
    roster = alice_client.get(f"/app/{org_a.slug}/customers/?q=probe").text
    assert "★ Ann" in roster and "★ Ben" in roster
    header = roster[roster.index("<thead") : roster.index("</thead>")]
    assert header.index("Email</a>") < header.index("Stars") < header.index("Phone</a>")
    starred = alice_client.get(f"/app/{org_a.slug}/customers/?starred=true").text
    assert "Probe, Ann" in starred and "Probe, Ben" not in starred

    bulk = f"/app/{org_a.slug}/customers/bulk/"
    refused = alice_client.post(bulk, {"action": "star", "ids": [ann.pk]}, follow=True).text
    assert "Say how many stars." in refused
    done = alice_client.post(bulk, {"action": "star", "stars": "3", "ids": [ann.pk, ben.pk]}, follow=True)
    assert "2 customers starred." in done.text

    activity = alice_client.get(f"/app/{org_a.slug}/customers/{ann.pk}/activity/?kind=stars").text
    assert "Starred" in activity and "Starred 3×" in activity
    profile = alice_client.get(f"/app/{org_a.slug}/customers/{ann.pk}/").text
    assert 'data-tab="stars"' in profile

    export = alice_client.get(f"/app/{org_a.slug}/customers/export.csv?q=probe")
    rows = csv_rows(export)
    assert rows[0].index("Stars") > 0 and all(row[rows[0].index("Stars")] == "★" for row in rows[1:])


def test_a_bulk_action_runs_only_for_roles_with_its_permission(plug_in, carol_client, org_a, people):
    plug_in(BulkAction("star", "Star", "starred", _star, order=1, permission="settings.change"))
    roster = carol_client.get(f"/app/{org_a.slug}/customers/").text
    assert 'value="star"' not in roster
    response = carol_client.post(
        f"/app/{org_a.slug}/customers/bulk/", {"action": "star", "ids": [people[0].pk]}, follow=True
    )
    assert "Choose an action." in response.text
    with tenant(org_a):
        assert not people[0].activities.filter(kind="star").exists()


def test_extensions_come_in_their_order_not_the_order_apps_register_them(plug_in):
    plug_in(
        ExportColumn("late", "Late", dict, order=999),
        ExportColumn("early", "Early", dict, order=-1),
    )
    keys = [column.key for column in registered(ExportColumn)]
    assert keys[0] == "early" and keys[-1] == "late"
    tabs = [tab.key for tab in registered(ProfileTab)]
    assert tabs[0] == "info" and tabs[-1] == "activity" and {"notes", "metrics"} <= set(tabs)


def test_two_extensions_with_one_name_are_refused(plug_in):
    plug_in(ExportColumn("twin", "Twin", dict, order=1))
    with pytest.raises(ImproperlyConfigured, match="twin"):
        register(ExportColumn("twin", "Other twin", dict, order=2))


@pytest.fixture
def menus():
    """Add menu pages for one test, as a feature app's ready() would, and take them out after."""
    added = []

    def add(register, page):
        register(page)
        added.append(page.key)

    yield add
    for key in added:
        navigation._MAIN.pop(key, None)
        navigation._SETTINGS.pop(key, None)


def test_a_feature_app_adds_a_main_menu_entry_and_a_settings_tab(menus, alice_client, carol_client, org_a):
    menus(register_settings_page, Page("gifts", "Gift cards", "tag_settings:list", 55, "settings.change"))
    menus(
        register_main_page, Page("gifts", "Gift cards", "families:index", 15, "customers.view", ("families",))
    )
    settings = alice_client.get(f"/app/{org_a.slug}/settings/").text
    settings = settings[settings.index('class="nav nav-tabs') :]
    tabs = re.findall(r'class="nav-link[^"]*" [^>]*href="[^"]+">([^<]+)</a>', settings)
    assert tabs.index("Intake forms") < tabs.index("Gift cards") < tabs.index("API keys")
    staff_menu = carol_client.get(f"/app/{org_a.slug}/customers/").text
    assert ">Gift cards</a>" in staff_menu and ">Settings</a>" not in staff_menu
    api_keys = alice_client.get(f"/app/{org_a.slug}/settings/api-keys/").text
    assert re.search(r'class="nav-link active" href="/app/alpha/settings/">Settings</a>', api_keys)
