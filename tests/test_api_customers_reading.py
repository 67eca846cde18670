"""The customers API read: the roster's filters and search a page at a time with a cursor, what changed since
for a sync client, constant queries whatever a page's size, and a customer read as the API writes it.
Writes and the tenant wall are in tests/test_api_customers.py."""

import hashlib
import json
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tenancy import tenant
from customers import services as customer_services
from customers.models import Audience, Customer, CustomFieldValue, FieldType
from tags import services as tag_services
from tags.models import Tag
from tests.custom_field_helpers import make_field, option_id
from tests.factories import customer
from tests.test_api import call, make_key
from tests.test_api_customers import CUSTOMERS, READ, WRITE, patch


def test_a_key_lists_the_roster_with_its_filters_and_search_a_page_at_a_time(client, org_a, alice):
    key = make_key(org_a, alice, READ)
    with tenant(org_a):
        for number in range(5):
            customer(first_name=f"Kid{number}", last_name="Lee", email=f"kid{number}@example.com")
        customer(first_name="Ana", last_name="Ortiz")  # no email
        gone = customer_services.customer_archive(
            customer=customer(first_name="Old", last_name="Lee"), by=None
        )
    first = call(client, "get", CUSTOMERS + "?has_email=true&limit=2", key)
    assert first.status_code == 200, first.content
    page = first.json()
    assert [item["first_name"] for item in page["items"]] == ["Kid0", "Kid1"]
    assert page["items"][0]["etag"] and page["items"][0]["custom"] == {}
    with tenant(org_a):  # added during the walk: it comes last, nothing repeats or goes missing
        customer(first_name="Late", last_name="Lee", email="late@example.com")
    seen = [item["first_name"] for item in page["items"]]
    while page["next"]:
        page = call(client, "get", page["next"], key).json()
        seen += [item["first_name"] for item in page["items"]]
    assert seen == ["Kid0", "Kid1", "Kid2", "Kid3", "Kid4", "Late"]
    searched = call(client, "get", CUSTOMERS + "?q=ortiz", key).json()["items"]
    assert [item["first_name"] for item in searched] == ["Ana"]
    archived = call(client, "get", CUSTOMERS + "?archived=true", key).json()["items"]
    assert [(item["id"], item["archived"]) for item in archived] == [(gone.pk, True)]
    assert len(call(client, "get", CUSTOMERS + "?archived=any", key).json()["items"]) == 8


def test_a_sync_client_reads_what_changed_since_by_updated_at(client, org_a, alice):
    key = make_key(org_a, alice, WRITE)
    with tenant(org_a):
        first, second = customer(first_name="First"), customer(first_name="Second")
    since = call(client, "get", f"{CUSTOMERS}{second.pk}/", key).json()["updated_at"]
    etag = call(client, "get", f"{CUSTOMERS}{first.pk}/", key)["ETag"]
    assert patch(client, key, first.pk, {"city": "Lyon"}, etag).status_code == 200
    changed = call(
        client, "get", f"{CUSTOMERS}?order=updated_at&updated_since={since.replace('+', '%2B')}", key
    )
    assert [item["first_name"] for item in changed.json()["items"]] == ["Second", "First"]


def _page_queries(client, key, url) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        response = call(client, "get", url, key)
    assert response.status_code == 200, response.content
    return len(queries), response.json()


@pytest.mark.parametrize(
    "query",
    [
        "tag={tag}",
        "q=lee",
        "order=updated_at&updated_since=2020-01-01T00:00:00Z",
        "has_email=true&{field}=ok",
    ],
)
def test_a_page_costs_the_same_queries_whatever_its_size(client, org_a, alice, query):
    """100 customers a page at 500 k (bench/api.py): a query per customer or per custom value would not do."""
    key = make_key(org_a, alice, READ)
    with tenant(org_a):
        vip = Tag.objects.get(pk=tag_services.tag_save(tag=Tag(name="VIP"), by=alice).pk)
        notes = make_field("Notes", FieldType.TEXT, key="notes")
        sports = make_field("Sports", FieldType.MULTIPLE_CHOICE, options=["Soccer", "Swim"], key="sports")
        swim = sports.options.get(label="Swim").pk
        kids = [
            customer(
                first_name=f"Kid{n}",
                last_name="Lee",
                email=f"kid{n}@example.com",
                **{notes.name: "ok", sports.name: [swim]},
            )
            for n in range(12)
        ]
        tag_services.tags_apply(tag=vip, customer_ids=[kid.pk for kid in kids], by=alice)
    url = CUSTOMERS + "?" + query.format(tag=vip.pk, field=f"cf_{notes.pk}")
    call(client, "get", url, key)  # the first call fills the caches (the key's last use, the custom fields)
    small, first = _page_queries(client, key, url + "&limit=2")
    large, every = _page_queries(client, key, url + "&limit=10")
    following, _ = _page_queries(client, key, first["next"])
    assert len(first["items"]) == 2 and len(every["items"]) == 10
    assert every["items"][0]["custom"] == {"notes": "ok", "sports": ["Swim"]}
    assert small == large == following, (small, large, following)


def test_a_search_walks_name_and_custom_field_matches_in_id_order(client, org_a, alice):
    key = make_key(org_a, alice, READ)
    with tenant(org_a):
        school = make_field("School", FieldType.TEXT, key="school")
        kids = [
            customer(first_name="Ana", last_name="Marsh"),
            customer(first_name="Ben", last_name="Ito", **{school.name: "Marigold Academy"}),
            customer(first_name="Cy", last_name="Ono"),
            customer(first_name="Di", last_name="Marlowe", **{school.name: "Maple High"}),
            customer(first_name="Ed", last_name="Ude", **{school.name: "Marigold Academy"}),
        ]
    seen, url = [], CUSTOMERS + "?q=mar&limit=2"
    while url:
        page = call(client, "get", url, key).json()
        seen += [item["first_name"] for item in page["items"]]
        url = page["next"]
    assert seen == ["Ana", "Ben", "Di", "Ed"] and kids[2].first_name not in seen


def test_a_listed_customer_reads_as_the_customer_endpoint_writes_it(client, org_a, alice, fields):
    key = make_key(org_a, alice, READ)
    with tenant(org_a):
        values = {
            fields["size"].name: option_id(fields["size"], "M"),
            fields["allergies"].name: "Nuts",
            fields["joined"].name: date(2024, 5, 1),
            fields["visits"].name: Decimal("12.5"),
            fields["waiver"].name: True,
            fields["sports"].name: [
                option_id(fields["sports"], "Swim"),
                option_id(fields["sports"], "Soccer"),
            ],
        }
        full = customer(first_name="Zoë", last_name="Ngô", birthday=date(2015, 3, 9), city="Lyon", **values)
        archived = customer_services.customer_archive(customer=customer(first_name="Old"), by=None)
        bare = customer(first_name="Bare", **{fields["waiver"].name: False})
    listed = call(client, "get", CUSTOMERS + "?archived=any", key).json()["items"]
    assert [item["id"] for item in listed] == [full.pk, archived.pk, bare.pk]
    for item in listed:
        assert item == call(client, "get", f"{CUSTOMERS}{item['id']}/", key).json()
    custom = listed[0]["custom"]  # fields without a key are named cf_<id>
    assert custom[fields["visits"].name] == 12.5 and custom[fields["sports"].name] == ["Soccer", "Swim"]
    assert listed[0]["birthday"] == "2015-03-09" and listed[1]["archived"] is True
    assert listed[2]["custom"][fields["waiver"].name] is False


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?limit=500", "limit"),
        ("?cursor=bogus", "cursor"),
        ("?birthday_month=13", "birthday_month"),
        ("?updated_since=0", "updated_since"),  # a date-time, not seconds since 1970
        ("?created_min=86400", "created_min"),
        ("?has_phone=false&has_phone=true", "has_phone"),  # one value, sent twice: not read as the last
        ("?limit=10&limit=20", "limit"),
    ],
)
def test_bad_list_parameters_are_422_with_the_parameter_named(client, org_a, alice, query, field):
    response = call(client, "get", CUSTOMERS + query, make_key(org_a, alice, READ))
    assert response.status_code == 422 and field in response.json()["errors"]


def test_reading_a_customer_gives_its_etag_and_the_custom_fields_staff_may_see(client, org_a, alice):
    key = make_key(org_a, alice, READ)
    with tenant(org_a):
        size = make_field("T-shirt size", FieldType.CHOICE, options=["S", "M"], key="tshirt")
        secret = make_field("Owner notes", FieldType.TEXT, visible_to=[Audience.OWNER], editable_by=[])
        kid = customer(first_name="Ana", last_name="Lee", **{size.name: size.options.get(label="M").pk})
        CustomFieldValue.objects.create(customer=kid, field=secret, text="owes money")
    response = call(client, "get", f"{CUSTOMERS}{kid.pk}/", key)
    body = response.json()
    assert response.status_code == 200 and response["ETag"] == body["etag"]
    assert body["custom"] == {"tshirt": "M"} and "owes money" not in response.content.decode()
    # The ETag a client keeps from an earlier release still matches: SHA-256 of [id, updated_at] as JSON.
    with tenant(org_a):
        stamp = json.dumps([kid.pk, Customer.objects.get(pk=kid.pk).updated_at.isoformat()])
    assert body["etag"] == '"' + hashlib.sha256(stamp.encode()).hexdigest()[:20] + '"'
    assert call(client, "get", f"{CUSTOMERS}999999/", key).status_code == 404
