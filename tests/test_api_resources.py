"""The customers API's other resources: custom fields, tags, notes, metrics, families, segments, activity,
payments and bookings. Each answers only with the right scope, stays inside the key's organization (another
organization's ids are 404), refuses bad input with 422, and writes through the staff pages' services, so
staff see the change on the profile."""

import datetime
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.tenancy import tenant
from billing import services as billing_services
from billing.models import Package
from bookings import class_services
from bookings import services as booking_services
from bookings.models import BookingSettings, Course, PartyPackage, Room
from customers import services as customer_services
from customers.models import Activity, Audience, FieldType
from families import services as family_services
from families.models import GuardianLink
from metrics import services as metric_services
from metrics.models import Metric, MetricKind
from notes import services as note_services
from notes.models import Note, Visibility
from tags import services as tag_services
from tags.models import Tag
from tests.custom_field_helpers import make_field
from tests.factories import customer
from tests.test_api import call, make_key

API = "/api/v1"
PROFILE = "/app/alpha/customers/{pk}/"


@pytest.fixture
def ana(org_a):
    with tenant(org_a):
        return customer(first_name="Ana", last_name="Alpha", email="ana@alpha.example")


@pytest.fixture
def bea(org_b):
    with tenant(org_b):
        return customer(first_name="Bea", last_name="Beta", email="bea@beta.example")


def key_for(org, user, *scopes):
    return make_key(org, user, scopes=scopes)


# Custom fields ------------------------------------------------------------------------------------------


@pytest.fixture
def shoe_size(org_a):
    with tenant(org_a):
        return make_field("Shoe size", FieldType.NUMBER, key="shoe_size", min_value=1, max_value=60)


@pytest.fixture
def credit_rating(org_a):
    """A field only owners and admins see."""
    with tenant(org_a):
        admins = [Audience.OWNER, Audience.ADMIN]
        return make_field("Credit rating", FieldType.TEXT, key="credit", visible_to=admins, editable_by=admins)


def test_custom_fields_are_listed_read_and_set_as_staff_may(
    client, alice_client, org_a, alice, ana, shoe_size, credit_rating
):
    key = key_for(org_a, alice, "fields:write")
    listed = call(client, "get", f"{API}/custom-fields/", key).json()
    assert [field["key"] for field in listed["items"]] == ["shoe_size"] and listed["next_cursor"] is None
    assert call(client, "get", f"{API}/custom-fields/{shoe_size.pk}/", key).json()["min_value"] == 1
    assert call(client, "get", f"{API}/custom-fields/{credit_rating.pk}/", key).status_code == 404

    values = f"{API}/customers/{ana.pk}/custom/"
    response = call(client, "put", values, key, {"values": {"shoe_size": 34}})
    assert response.status_code == 200, response.content
    assert response.json()["values"] == {"shoe_size": "34"}
    assert call(client, "get", values, key).json()["values"] == {"shoe_size": "34"}
    profile = alice_client.get(PROFILE.format(pk=ana.pk)).content.decode()
    assert "Shoe size" in profile and "34" in profile
    with tenant(org_a):
        event = Activity.objects.filter(customer=ana).latest("id")
        assert event.changes == {shoe_size.name: [None, "34"]}

    too_big = call(client, "put", values, key, {"values": {"shoe_size": 61}})
    assert too_big.status_code == 422 and too_big.json()["errors"]["shoe_size"]
    hidden = call(client, "put", values, key, {"values": {"credit": "AAA"}})
    assert hidden.status_code == 422 and "credit" in hidden.json()["errors"]
    assert call(client, "put", values, key, {"values": {"shoe_size": None}}).json()["values"] == {
        "shoe_size": None
    }


def test_custom_fields_need_their_scope_and_stay_in_the_organization(client, org_a, alice, bob, ana, bea):
    reader = key_for(org_a, alice, "fields:read")
    assert call(client, "get", f"{API}/customers/{ana.pk}/custom/", reader).status_code == 200
    assert call(client, "put", f"{API}/customers/{ana.pk}/custom/", reader, {"values": {}}).status_code == 403
    assert call(client, "get", f"{API}/custom-fields/", key_for(org_a, alice, "tags:read")).status_code == 403
    assert call(client, "get", f"{API}/customers/{bea.pk}/custom/", reader).status_code == 404
