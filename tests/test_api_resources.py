"""The customers API's other resources: custom fields, tags, notes, metrics, families, segments, activity,
payments and bookings. Each answers only with the right scope, stays inside the key's organization (another
organization's ids are 404), refuses bad input with 422, and writes through the staff pages' services, so
staff see the change on the profile."""

import datetime
from datetime import timedelta
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
from families.models import GuardianLink
from metrics import services as metric_services
from metrics.models import Metric, MetricEntry, MetricKind
from notes import services as note_services
from notes.models import Note, Visibility
from tags import services as tag_services
from tags.models import CustomerTag, Tag
from tests.booking_helpers import one_session
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
        return make_field(
            "Credit rating", FieldType.TEXT, key="credit", visible_to=admins, editable_by=admins
        )


def test_custom_fields_are_listed_read_and_set_as_staff_may(
    client, alice_client, org_a, alice, ana, shoe_size, credit_rating
):
    key = key_for(org_a, alice, "fields:write")
    listed = call(client, "get", f"{API}/custom-fields/", key).json()
    assert [field["key"] for field in listed["items"]] == ["shoe_size"] and listed["next"] is None
    assert call(client, "get", f"{API}/custom-fields/{shoe_size.pk}/", key).json()["min_value"] == 1
    assert call(client, "get", f"{API}/custom-fields/{credit_rating.pk}/", key).status_code == 404

    values = f"{API}/customers/{ana.pk}/custom/"
    response = call(client, "put", values, key, {"values": {"shoe_size": 34}})
    assert response.status_code == 200, response.content
    assert response.json()["values"] == {"shoe_size": 34}
    assert call(client, "get", values, key).json()["values"] == {"shoe_size": 34}
    profile = alice_client.get(PROFILE.format(pk=ana.pk)).content.decode()
    assert "Shoe size" in profile and "34" in profile
    with tenant(org_a):
        event = Activity.objects.filter(customer=ana).latest("id")
        assert event.changes == {shoe_size.name: [None, "34"]} and event.actor_label == "API key “Website”"

    too_big = call(client, "put", values, key, {"values": {"shoe_size": 61}})
    assert too_big.status_code == 422 and too_big.json()["errors"]["custom.shoe_size"]
    hidden = call(client, "put", values, key, {"values": {"credit": "AAA"}})
    assert hidden.status_code == 422 and "custom.credit" in hidden.json()["errors"]
    assert call(client, "put", values, key, {"values": "34"}).status_code == 422
    assert call(client, "put", values, key, {"values": {"shoe_size": None}}).json()["values"] == {
        "shoe_size": None
    }


def test_custom_fields_need_their_scope_and_stay_in_the_organization(client, org_a, alice, bob, ana, bea):
    reader = key_for(org_a, alice, "fields:read")
    assert call(client, "get", f"{API}/customers/{ana.pk}/custom/", reader).status_code == 200
    assert call(client, "put", f"{API}/customers/{ana.pk}/custom/", reader, {"values": {}}).status_code == 403
    assert call(client, "get", f"{API}/custom-fields/", key_for(org_a, alice, "tags:read")).status_code == 403
    assert call(client, "get", f"{API}/customers/{bea.pk}/custom/", reader).status_code == 404


# Tags ---------------------------------------------------------------------------------------------------


def test_a_key_tags_a_customer_and_staff_see_it(client, alice_client, org_a, org_b, alice, bob, ana, bea):
    with tenant(org_a):
        vip = tag_services.tag_save(tag=Tag(name="VIP"), by=alice)
    with tenant(org_b):
        theirs = tag_services.tag_save(tag=Tag(name="Theirs"), by=bob)
    key = key_for(org_a, alice, "tags:write")
    tags = f"{API}/customers/{ana.pk}/tags/"
    added = call(client, "post", tags, key, {"tag_id": vip.pk})
    assert added.status_code == 201 and added.json() == {
        "added": True,
        "tag": {"id": vip.pk, "name": "VIP", "color": "gray", "description": ""},
    }
    assert call(client, "post", tags, key, {"tag_id": vip.pk}).json()["added"] is False
    assert [tag["name"] for tag in call(client, "get", tags, key).json()["items"]] == ["VIP"]
    assert call(client, "get", f"{API}/tags/", key).json()["items"][0]["customers"] == 1
    assert "VIP" in alice_client.get(PROFILE.format(pk=ana.pk)).content.decode()
    with tenant(org_a):
        assert Activity.objects.filter(customer=ana, kind="tags").get().actor_label == "API key “Website”"

    assert call(client, "post", tags, key, {"tag_id": theirs.pk}).status_code == 404
    assert call(client, "post", f"{API}/customers/{bea.pk}/tags/", key, {"tag_id": vip.pk}).status_code == 404
    assert call(client, "post", tags, key, {"tag_id": "VIP"}).status_code == 422
    reader = key_for(org_a, alice, "tags:read")
    assert call(client, "delete", f"{tags}{vip.pk}/", reader).status_code == 403
    assert call(client, "delete", f"{tags}{vip.pk}/", key).status_code == 204
    assert call(client, "get", tags, reader).json()["items"] == []
    assert call(client, "get", f"{API}/tags/", key_for(org_a, alice, "notes:read")).status_code == 403


# Notes --------------------------------------------------------------------------------------------------


def test_a_key_reads_and_adds_only_notes_for_everyone_on_staff(client, alice_client, org_a, alice, ana, bea):
    with tenant(org_a):
        for text, visibility, by in [
            ("Loves dinosaurs", Visibility.STAFF, alice),
            ("Owes us money", Visibility.ADMINS, alice),
            ("My own reminder", Visibility.PRIVATE, alice),
            ("Nobody's private note", Visibility.PRIVATE, None),
        ]:
            note_services.note_add(customer=ana, text=text, visibility=visibility, pinned=False, by=by)
    key = key_for(org_a, alice, "notes:write")
    notes = f"{API}/customers/{ana.pk}/notes/"
    assert [note["text"] for note in call(client, "get", notes, key).json()["items"]] == ["Loves dinosaurs"]

    response = call(client, "post", notes, key, {"text": "Booked a party by phone", "pinned": True})
    assert response.status_code == 201, response.content
    assert response.json()["visibility"] == "staff" and response.json()["pinned"] is True
    assert (
        "Booked a party by phone" in alice_client.get(f"{PROFILE.format(pk=ana.pk)}notes/").content.decode()
    )
    assert len(call(client, "get", notes, key).json()["items"]) == 2

    blank = call(client, "post", notes, key, {"text": "   "})
    assert blank.status_code == 422 and blank.json()["errors"]["text"] == ["Write something first."]
    assert call(client, "post", notes, key, {"text": "x", "visibility": "admins"}).status_code == 422
    assert call(client, "post", f"{API}/customers/{bea.pk}/notes/", key, {"text": "x"}).status_code == 404
    reader = key_for(org_a, alice, "notes:read")
    assert call(client, "post", notes, reader, {"text": "x"}).status_code == 403


# Metrics ------------------------------------------------------------------------------------------------


def test_a_key_records_a_metric_value_with_the_tabs_rules(
    client, alice_client, org_a, org_b, alice, bob, ana
):
    with tenant(org_a):
        visits = metric_services.metric_save(metric=Metric(name="Visits", kind=MetricKind.COUNTER), by=alice)
        retired = metric_services.metric_save(metric=Metric(name="Old laps"), by=alice)
        metric_services.metric_archive(metric=retired, by=alice)
    with tenant(org_b):
        theirs = metric_services.metric_save(metric=Metric(name="Their visits"), by=bob)
    key = key_for(org_a, alice, "metrics:write")
    entries = f"{API}/customers/{ana.pk}/metrics/{visits.pk}/entries/"
    response = call(client, "post", entries, key, {"value": 12, "comment": "From the door counter"})
    assert response.status_code == 201, response.content
    assert response.json()["formatted"] == "12" and response.json()["current"] is True
    history = call(client, "get", entries, key).json()["items"]
    assert [(entry["value"], entry["comment"]) for entry in history] == [(12.0, "From the door counter")]
    assert [metric["name"] for metric in call(client, "get", f"{API}/metrics/", key).json()["items"]] == [
        "Visits",
        "Old laps",
    ]
    tab = alice_client.get(f"{PROFILE.format(pk=ana.pk)}metrics/").content.decode()
    assert "Visits" in tab and "From the door counter" in tab

    half = call(client, "post", entries, key, {"value": 2.5})
    assert half.status_code == 422 and half.json()["errors"]["value"] == ["Enter a whole number."]
    future = str(timezone.localdate() + timedelta(days=3))
    assert call(client, "post", entries, key, {"value": 1, "recorded_on": future}).status_code == 422
    archived = call(
        client, "post", f"{API}/customers/{ana.pk}/metrics/{retired.pk}/entries/", key, {"value": 1}
    )
    assert archived.status_code == 422 and "archived" in archived.json()["detail"]
    assert (
        call(client, "get", f"{API}/customers/{ana.pk}/metrics/{theirs.pk}/entries/", key).status_code == 404
    )
    assert (
        call(client, "post", entries, key_for(org_a, alice, "metrics:read"), {"value": 1}).status_code == 403
    )


# Families -----------------------------------------------------------------------------------------------


def test_a_key_links_a_guardian_under_the_family_rules(client, alice_client, org_a, alice, ana, bea):
    with tenant(org_a):
        dad = customer(first_name="Dan", last_name="Alpha")
    key = key_for(org_a, alice, "families:write")
    links = f"{API}/customers/{ana.pk}/guardian-links/"
    response = call(client, "post", links, key, {"guardian_id": dad.pk, "relationship": "parent"})
    assert response.status_code == 201, response.content
    link = response.json()
    assert (link["guardian"]["id"], link["dependant"]["id"], link["is_primary"]) == (dad.pk, ana.pk, False)
    assert "book" in link["permissions"]
    assert [item["id"] for item in call(client, "get", links, key).json()["items"]] == [link["id"]]
    assert "Dan Alpha" in alice_client.get(PROFILE.format(pk=ana.pk)).content.decode()

    again = call(client, "post", links, key, {"guardian_id": dad.pk, "relationship": "parent"})
    assert again.status_code == 422 and "already a guardian" in again.json()["detail"]
    circle = {"guardian_id": ana.pk, "relationship": "other"}
    assert (
        "circle"
        in call(client, "post", f"{API}/customers/{dad.pk}/guardian-links/", key, circle).json()["detail"]
    )
    itself = call(client, "post", links, key, {"guardian_id": ana.pk, "relationship": "parent"})
    assert itself.status_code == 422 and "own guardian" in itself.json()["detail"]
    assert (
        call(client, "post", links, key, {"guardian_id": dad.pk, "relationship": "uncle"}).status_code == 422
    )
    assert (
        call(client, "post", links, key, {"guardian_id": bea.pk, "relationship": "parent"}).status_code == 404
    )
    reader = key_for(org_a, alice, "families:read")
    assert (
        call(client, "post", links, reader, {"guardian_id": dad.pk, "relationship": "parent"}).status_code
        == 403
    )
    assert call(client, "get", f"{API}/customers/{bea.pk}/guardian-links/", reader).status_code == 404


# Segments -----------------------------------------------------------------------------------------------


def test_a_key_lists_shared_segments_and_pages_through_their_members(client, org_a, org_b, alice, bob, ana):
    with tenant(org_a):
        for first in ("Ben", "Cy"):
            customer(first_name=first, last_name="Alpha")
        customer(first_name="Zed", last_name="Omega")
        alphas, _ = customer_services.segment_save(owner=alice, name="Alphas", query="q=alpha", shared=True)
        mine, _ = customer_services.segment_save(owner=alice, name="Mine", query="", shared=False)
    with tenant(org_b):
        theirs, _ = customer_services.segment_save(owner=bob, name="Theirs", query="", shared=True)
    key = key_for(org_a, alice, "segments:read")
    assert [segment["name"] for segment in call(client, "get", f"{API}/segments/", key).json()["items"]] == [
        "Alphas"
    ]
    first = call(client, "get", f"{API}/segments/{alphas.pk}/members/?limit=2", key).json()
    second = call(client, "get", first["next"], key).json()
    names = [member["first_name"] for member in first["items"] + second["items"]]
    assert sorted(names) == ["Ana", "Ben", "Cy"] and second["next"] is None
    assert call(client, "get", f"{API}/segments/{mine.pk}/members/", key).status_code == 404
    assert call(client, "get", f"{API}/segments/{theirs.pk}/members/", key).status_code == 404
    assert call(client, "get", f"{API}/segments/{alphas.pk}/members/?limit=0", key).status_code == 422
    assert call(client, "get", f"{API}/segments/", key_for(org_a, alice, "tags:read")).status_code == 403


# Activity -----------------------------------------------------------------------------------------------


def test_a_key_reads_the_activity_staff_may_read(client, org_a, alice, ana, bea, credit_rating):
    with tenant(org_a):
        note_services.note_add(
            customer=ana, text="Private", visibility=Visibility.PRIVATE, pinned=False, by=alice
        )
        note_services.note_add(
            customer=ana, text="For all", visibility=Visibility.STAFF, pinned=False, by=alice
        )
        customer_services.customer_update(
            customer=ana, data={credit_rating.name: "AAA", "phone": "(555) 123-4567"}, by=alice
        )
    key = key_for(org_a, alice, "activity:read")
    activity = f"{API}/customers/{ana.pk}/activity/"
    events = call(client, "get", activity, key).json()["items"]
    assert [(event["kind_label"], event["by"]) for event in events] == [
        ("Created", ""),
        ("Note", "Alice Anders"),
        ("Updated", "Alice Anders"),
    ]
    assert events[1]["changes"] == [{"field": "Note", "before": "", "after": "For all"}]
    assert [change["field"] for change in events[2]["changes"]] == ["Phone"]
    notes_only = call(client, "get", f"{activity}?kind=notes", key).json()["items"]
    assert [event["kind"] for event in notes_only] == ["note"]
    assert call(client, "get", f"{activity}?kind=gossip", key).status_code == 422
    assert call(client, "get", f"{API}/customers/{bea.pk}/activity/", key).status_code == 404
    assert call(client, "get", activity, key_for(org_a, alice, "notes:read")).status_code == 403


# Payments and bookings ----------------------------------------------------------------------------------


def test_a_key_reads_a_customers_payments_and_memberships(client, org_a, alice, ana, bea):
    with tenant(org_a):
        party = billing_services.package_save(
            package=Package(name="Party pass", price=2500, currency="USD"), by=alice
        )
        billing_services.sale_record(package=party, customer=ana, payer=ana, method="cash", by=alice)
    key = key_for(org_a, alice, "payments:read")
    [payment] = call(client, "get", f"{API}/customers/{ana.pk}/payments/", key).json()["items"]
    assert (payment["amount"], payment["currency"], payment["package"], payment["method"]) == (
        2500,
        "USD",
        "Party pass",
        "cash",
    )
    assert call(client, "get", f"{API}/customers/{ana.pk}/subscriptions/", key).json()["items"] == []
    assert call(client, "get", f"{API}/customers/{bea.pk}/payments/", key).status_code == 404
    no_scope = key_for(org_a, alice, "bookings:read")
    assert call(client, "get", f"{API}/customers/{ana.pk}/payments/", no_scope).status_code == 403


def test_a_key_reads_a_customers_parties_and_classes(client, org_a, alice, ana, bea):
    zone = ZoneInfo(org_a.time_zone)
    with tenant(org_a):
        booking_services.booking_settings_save(
            rules=BookingSettings(),
            hours={day: (datetime.time(8), datetime.time(20)) for day in range(7)},
            by=alice,
        )
        room = booking_services.room_save(room=Room(name="Jungle room", guests=20), by=alice)
        package = booking_services.party_package_save(
            package=PartyPackage(name="Jungle party", price=9000, deposit=0), rooms=[room], by=alice
        )
        day = timezone.localdate(timezone=zone) + timedelta(days=3)
        booking_services.booking_create(
            package=package,
            room=room,
            starts_at=datetime.datetime.combine(day, datetime.time(10), zone),
            customer=ana,
            booked_by=ana,
            guests=8,
            by=alice,
        )
        course = class_services.course_save(course=Course(name="Tumble", capacity=6), passes=[], by=alice)
        session = one_session(course, day, datetime.time(16), by=alice)
        class_services.registration_create(session=session, customer=ana, paid_with="desk", by=alice)
    key = key_for(org_a, alice, "bookings:read")
    [booking] = call(client, "get", f"{API}/customers/{ana.pk}/bookings/", key).json()["items"]
    assert (booking["package"], booking["room"], booking["guests"], booking["status"]) == (
        "Jungle party",
        "Jungle room",
        8,
        "confirmed",
    )
    [registration] = call(client, "get", f"{API}/customers/{ana.pk}/registrations/", key).json()["items"]
    assert (registration["course"], registration["session_id"]) == ("Tumble", session.pk)
    assert call(client, "get", f"{API}/customers/{bea.pk}/registrations/", key).status_code == 404
    no_scope = key_for(org_a, alice, "payments:read")
    assert call(client, "get", f"{API}/customers/{ana.pk}/bookings/", no_scope).status_code == 403


# Bodies -------------------------------------------------------------------------------------------------


def test_a_body_value_of_another_json_type_is_422_not_converted(client, org_a, alice, ana):
    """JSON has numbers, true/false and text: the document's integer is not true, its yes/no is not "yes" or
    1, its date is not seconds since 1970, a metric's value is not true."""
    with tenant(org_a):
        vip = tag_services.tag_save(tag=Tag(name="VIP"), by=alice)
        dad = customer(first_name="Dad", last_name="Alpha")
        visits = metric_services.metric_save(metric=Metric(name="Visits", kind=MetricKind.COUNTER), by=alice)
    key = key_for(
        org_a, alice, "customers:write", "tags:write", "notes:write", "metrics:write", "families:write"
    )
    refused = [
        ("post", f"{API}/customers/{ana.pk}/tags/", {"tag_id": True}, "tag_id"),
        ("post", f"{API}/customers/{ana.pk}/tags/", {"tag_id": str(vip.pk)}, "tag_id"),
        ("post", f"{API}/customers/{ana.pk}/notes/", {"text": "Hi", "pinned": "yes"}, "pinned"),
        ("post", f"{API}/customers/{ana.pk}/metrics/{visits.pk}/entries/", {"value": True}, "value"),
        (
            "post",
            f"{API}/customers/{ana.pk}/metrics/{visits.pk}/entries/",
            {"value": 3, "recorded_on": 0},
            "recorded_on",
        ),
        (
            "post",
            f"{API}/customers/{ana.pk}/guardian-links/",
            {"guardian_id": dad.pk, "relationship": "parent", "is_primary": 1},
            "is_primary",
        ),
        (
            "post",
            f"{API}/customers/",
            {"first_name": "Cy", "last_name": "Lee", "birthday": 86400},
            "birthday",
        ),
        ("patch", f"{API}/customers/{ana.pk}/", {"marketing_opt_in": "true"}, "marketing_opt_in"),
    ]
    for method, url, body, field in refused:
        response = call(client, method, url, key, body)
        assert response.status_code == 422, (url, body, response.content)
        assert field in response.content.decode(), (url, body, response.content)
    with tenant(org_a):
        assert not CustomerTag.objects.filter(customer=ana).exists() and not Note.objects.exists()
        assert not MetricEntry.objects.exists() and not GuardianLink.objects.exists()
    assert call(client, "post", f"{API}/customers/{ana.pk}/tags/", key, {"tag_id": vip.pk}).status_code == 201
