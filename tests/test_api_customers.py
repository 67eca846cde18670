"""The customers API written: the Staff Portal's rules on every write, ETags against lost updates, batches,
scopes, per-key rate limits, attribution to the key, and a key kept to its organization on every operation of
the OpenAPI document, the other resources' included. Reading is in tests/test_api_customers_reading.py."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.audit import acting_as
from accounts.models import AuditEvent
from accounts.tenancy import tenant
from api.api import api
from api.common import key_label
from api.models import ApiKey, Scope
from customers import services as customer_services
from customers.models import Activity, Customer, FieldType, Source
from customers.rules import Channel, Rule
from tests.custom_field_helpers import make_field
from tests.factories import customer
from tests.test_api import call, make_key

CUSTOMERS = "/api/v1/customers/"
READ, WRITE = ("customers:read",), ("customers:write",)


def patch(client, key, customer_id, body, etag=None):
    headers = {"HTTP_IF_MATCH": etag} if etag else {}
    return call(client, "patch", f"{CUSTOMERS}{customer_id}/", key, body, **headers)


@pytest.fixture
def writer(org_a, alice):
    return make_key(org_a, alice, WRITE)


def test_creating_follows_the_staff_portal_rules_and_names_the_key(client, org_a, alice, writer):
    with tenant(org_a):
        customer_services.field_rules_save(rules={("phone", Channel.STAFF): Rule.REQUIRED}, by=alice)
        customer(first_name="Ana", last_name="Lee", email="taken@example.com", phone="555 123 4567")
    refused = call(client, "post", CUSTOMERS, writer, {"first_name": "Ana", "email": "taken@example.com"})
    assert refused.status_code == 422
    assert set(refused.json()["errors"]) == {"last_name", "phone", "email"}
    assert "<a" not in refused.content.decode()  # the staff page's link to the other customer, as plain text
    body = {"first_name": "Ana", "last_name": "Lee", "phone": "(555) 123-4567", "marketing_opt_in": True}
    created = call(client, "post", CUSTOMERS, writer, body)
    assert created.status_code == 201, created.content
    new = created.json()
    assert new["source"] == "api" and new["marketing_opt_in"] is True
    assert [dup["name"] for dup in new["possible_duplicates"]] == ["Ana Lee"]  # a warning, not a refusal
    with tenant(org_a):
        event = Activity.objects.get(customer_id=new["id"])
    assert (event.kind, event.actor_label) == ("created", "API key “Website”")
    assert alice_sees(client, alice, new["id"], "by API key “Website”")


def alice_sees(client, alice, customer_id, text) -> bool:
    client.force_login(alice)
    page = client.get(f"/app/alpha/customers/{customer_id}/activity/")
    client.logout()
    return text in page.content.decode()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"first_name": "A", "last_name": "B", "birthday": "2015-02-31"}, "birthday"),
        ({"first_name": "A", "last_name": "B", "birthday": "2999-01-01"}, "birthday"),
        ({"first_name": "A", "last_name": "B", "email": "nope"}, "email"),
        ({"first_name": "A", "last_name": "B", "gender": "robot"}, "gender"),
        ({"first_name": "A", "last_name": "B", "shoe_size": 9}, "shoe_size"),
        ({"first_name": "A", "last_name": "B", "custom": {"nope": "x"}}, "custom.nope"),
        ({"first_name": "x" * 101, "last_name": "B"}, "first_name"),
    ],
)
def test_bad_input_is_422_with_the_field_named(client, org_a, writer, body, field):
    response = call(client, "post", CUSTOMERS, writer, body)
    assert response.status_code == 422 and field in response.json()["errors"], response.content


def test_custom_values_are_written_by_key_and_options_by_label(client, org_a, writer):
    with tenant(org_a):
        make_field("T-shirt size", FieldType.CHOICE, options=["S", "M"], key="tshirt")
        make_field("Sports", FieldType.MULTIPLE_CHOICE, options=["Soccer", "Swim"], key="sports")
        make_field("Allergic", FieldType.YES_NO, key="allergic")
    body = {
        "first_name": "A",
        "last_name": "B",
        "custom": {"tshirt": "m", "sports": ["Swim"], "allergic": True},
    }
    created = call(client, "post", CUSTOMERS, writer, body).json()
    assert created["custom"] == {"tshirt": "M", "sports": ["Swim"], "allergic": True}
    wrong = call(client, "post", CUSTOMERS, writer, body | {"custom": {"tshirt": "XXL"}})
    assert wrong.status_code == 422 and "not one of the options" in wrong.json()["errors"]["custom.tshirt"][0]


def test_an_update_needs_the_current_etag(client, org_a, writer):
    with tenant(org_a):
        make_field("T-shirt size", FieldType.CHOICE, options=["S", "M"], key="tshirt")
        kid = customer(first_name="Ana", last_name="Lee", email="ana@example.com")
    etag = call(client, "get", f"{CUSTOMERS}{kid.pk}/", writer)["ETag"]
    assert patch(client, writer, kid.pk, {"city": "Lyon"}).status_code == 428
    changed = patch(client, writer, kid.pk, {"city": "Lyon"}, etag)
    assert changed.status_code == 200 and changed.json()["city"] == "Lyon"
    assert changed.json()["email"] == "ana@example.com"  # what was not sent stays
    assert changed["ETag"] != etag
    assert patch(client, writer, kid.pk, {"city": "Nice"}, etag).status_code == 412  # the other client's
    custom = patch(client, writer, kid.pk, {"custom": {"tshirt": "S"}}, changed["ETag"])
    assert custom.status_code == 200 and custom["ETag"] != changed["ETag"]  # a custom value is a change too
    assert patch(client, writer, kid.pk, {"last_name": ""}, custom["ETag"]).status_code == 422
    with tenant(org_a):
        kid.refresh_from_db()
        events = list(Activity.objects.filter(customer=kid).values_list("kind", "actor_label"))
    assert kid.city == "Lyon" and kid.last_name == "Lee"
    assert events.count(("updated", "API key “Website”")) == 2


def test_archive_and_restore(client, org_a, writer):
    with tenant(org_a):
        kid = customer(first_name="Ana", last_name="Lee")
    archived = call(client, "post", f"{CUSTOMERS}{kid.pk}/archive/", writer)
    assert archived.status_code == 200 and archived.json()["archived"] is True
    stale = call(client, "post", f"{CUSTOMERS}{kid.pk}/restore/", writer, HTTP_IF_MATCH='"old"')
    assert stale.status_code == 412
    restored = call(client, "post", f"{CUSTOMERS}{kid.pk}/restore/", writer, HTTP_IF_MATCH=archived["ETag"])
    assert restored.status_code == 200 and restored.json()["archived"] is False


def test_a_batch_adds_the_good_items_and_says_why_the_others_were_refused(client, org_a, writer):
    with tenant(org_a):
        customer(first_name="On", last_name="File", email="taken@example.com")
    items = [
        {"first_name": "Ana", "last_name": "Lee", "email": "ana@example.com"},
        {"first_name": "No last name"},
        {"first_name": "Ben", "last_name": "Ito", "email": "taken@example.com"},
        {"first_name": "Twin", "last_name": "Lee", "email": "ANA@example.com"},
        {"first_name": "Cy", "last_name": "Ono", "phone": "(555) 010-0177"},
    ]
    response = call(client, "post", CUSTOMERS + "batch/", writer, {"customers": items})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["refused"]) == (2, 3)
    results = {result["index"]: result for result in body["results"]}
    assert results[0]["id"] and results[4]["id"] and results[0]["errors"] is None
    assert set(results[1]["errors"]) == {"last_name"} and results[1]["id"] is None
    assert "email" in results[2]["errors"] and "already in this batch" in results[3]["errors"]["email"][0]
    with tenant(org_a):
        ana = Customer.objects.get(pk=results[0]["id"])
        assert ana.source == Source.API and ana.last_key == "lee" and Customer.objects.count() == 3
        assert Activity.objects.get(customer=ana).actor_label == "API key “Website”"
    too_many = call(client, "post", CUSTOMERS + "batch/", writer, {"customers": [items[0]] * 1001})
    assert too_many.status_code == 422 and "customers" in too_many.json()["errors"]


def test_a_batch_finds_emails_and_numbers_on_file_by_index_whatever_their_case(client, org_a, writer):
    """Under row-level security only leakproof operators reach an index: LOWER(email) read every customer of
    the organization (0.5 s a batch at 500 k customers)."""
    with tenant(org_a):
        customer(first_name="On", last_name="File", email="taken@example.com", number="A-1")
    items = [
        {"first_name": "Ben", "last_name": "Ito", "email": "TAKEN@Example.com "},
        {"first_name": "Cy", "last_name": "Ono", "number": "a-1"},
    ]
    with CaptureQueriesContext(connection) as queries:
        body = call(client, "post", CUSTOMERS + "batch/", writer, {"customers": items}).json()
    assert body["created"] == 0 and "already belongs" in body["results"][0]["errors"]["email"][0]
    assert "already belongs" in body["results"][1]["errors"]["number"][0]
    lookups = [query["sql"] for query in queries if 'FROM "customers_customer" WHERE' in query["sql"]]
    assert len(lookups) == 2  # one per key: each on its own (organization, key) index
    assert not [sql for sql in lookups if "LOWER(" in sql or "UPPER(" in sql]
    assert '"email_key" IN' in lookups[0] and '"number_key" IN' in lookups[1]


def test_scopes_are_checked_per_operation(client, org_a, alice):
    reader, importer = make_key(org_a, alice, READ), make_key(org_a, alice, ("imports:write",))
    with tenant(org_a):
        kid = customer()
    assert call(client, "get", CUSTOMERS, reader).status_code == 200
    denied = call(client, "post", CUSTOMERS, reader, {"first_name": "A", "last_name": "B"})
    assert denied.status_code == 403 and "customers:write" in denied.json()["detail"]
    assert call(client, "get", f"{CUSTOMERS}{kid.pk}/", importer).status_code == 403
    assert call(client, "post", f"{CUSTOMERS}{kid.pk}/archive/", reader).status_code == 403
    assert call(client, "get", CUSTOMERS).status_code == 401


def test_another_organizations_key_never_sees_these_customers(client, org_a, org_b, alice, bob):
    key_b = make_key(org_b, bob, WRITE)
    with tenant(org_a):
        kid = customer(first_name="Canary", last_name="Alpha", email="canary@alpha.example")
    listed = call(client, "get", CUSTOMERS + "?archived=any&q=canary", key_b)
    assert listed.status_code == 200 and listed.json()["items"] == []
    for method, path in [("get", ""), ("patch", ""), ("post", "archive/"), ("post", "restore/")]:
        body = None if method == "get" else {}
        response = call(client, method, f"{CUSTOMERS}{kid.pk}/{path}", key_b, body, HTTP_IF_MATCH="*")
        assert response.status_code == 404, (method, path)
    taken = call(client, "post", CUSTOMERS, key_b, {"first_name": "A", "last_name": "B", "email": kid.email})
    assert taken.status_code == 201  # org A's email is no concern of org B's


@pytest.mark.parametrize(
    "limits", [{"burst": "3/min", "sustained": "100/min"}, {"burst": "100/s", "sustained": "3/min"}]
)
def test_a_key_past_its_rate_is_told_when_to_come_back(client, org_a, alice, settings, limits):
    key = make_key(org_a, alice, READ)
    settings.API_RATE_LIMITS = limits
    statuses = [call(client, "get", CUSTOMERS, key).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = call(client, "get", CUSTOMERS, key)
    assert 0 < int(refused["Retry-After"]) <= 60 and refused.json()["detail"]
    other = make_key(org_a, alice, READ)  # the same name, its own allowance
    assert call(client, "get", CUSTOMERS, other).status_code == 200


def test_audit_events_written_during_a_call_name_the_key_on_the_audit_page(alice_client, org_a, alice):
    with tenant(org_a), acting_as(key_label(ApiKey(name="Website <b>sync</b>"))):
        customer_services.customer_do_not_solicit_set(customer=customer(), do_not_solicit=True, by=None)
        assert AuditEvent.objects.get().actor_label == "API key “Website <b>sync</b>”"
    page = alice_client.get("/app/alpha/settings/audit/").content.decode()
    assert "API key “Website &lt;b&gt;sync&lt;/b&gt;”" in page


# Every operation of the document, as a key of another organization ------------------------------------------


def _example(schema: dict, components: dict):
    """A minimal valid value of a JSON schema: required properties only."""
    if "$ref" in schema:
        return _example(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    for choice in schema.get("anyOf", []):
        if choice.get("type") != "null":
            return _example(choice, components)
    if "enum" in schema:
        return schema["enum"][0]
    match schema.get("type"):
        case "object":
            props = schema.get("properties", {})
            return {name: _example(props[name], components) for name in schema.get("required", [])}
        case "array":
            return [_example(schema["items"], components)] * max(1, schema.get("minItems", 0))
        case "integer" | "number":
            return 1
        case "boolean":
            return True
    return "2020-01-01" if schema.get("format") == "date" else "x"


def test_every_operation_refuses_another_organizations_ids(client, org_a, org_b, alice, bob):
    """Org B's keys (every scope, and none that fits) against ids of org A's rows: 404 or 403, never data."""
    with tenant(org_a):
        kid = customer(first_name="Canary", last_name="Alpha", email="canary@alpha.example")
        guardian = customer(first_name="Canary", last_name="Guardian")
        ids = sorted({kid.pk, guardian.pk, *Activity.objects.values_list("pk", flat=True)})
    everything = make_key(org_b, bob, Scope.values)
    nothing = make_key(org_b, bob, ("imports:write",))
    document = api.get_openapi_schema()
    components = document.get("components", {}).get("schemas", {})
    checked = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            data = _example(body["schema"], components) if body else None
            if "{" not in path:
                if method == "get":
                    listed = call(client, "get", path, everything)
                    assert "canary" not in listed.content.decode().lower(), path
                continue
            for pk in ids:
                url = re.sub(r"\{[^}]+\}", str(pk), path)
                for key, allowed in ((everything, {404}), (nothing, {403, 404})):
                    body = None if method == "get" else json.dumps(data)
                    response = call(client, method, url, key, body, HTTP_IF_MATCH="*")
                    assert response.status_code in allowed, (
                        method,
                        url,
                        response.status_code,
                        response.content,
                    )
                    checked += 1
    assert checked >= 8 * len(ids)


# The journey ---------------------------------------------------------------------------------------


def test_ten_thousand_customers_through_the_api_listed_by_filter_and_cursor(client, org_a, writer):
    """How fast is bench/api.py's to say (a test's clock would measure the machine's other load)."""
    created = []
    for batch in range(10):
        items = [
            {"first_name": f"Kid{batch}x{n}", "last_name": "Lee", "email": f"k{batch}x{n}@example.com"}
            if n % 2
            else {"first_name": f"Kid{batch}x{n}", "last_name": "Ono"}
            for n in range(1000)
        ]
        response = call(client, "post", CUSTOMERS + "batch/", writer, {"customers": items})
        assert response.json()["created"] == 1000
        created += [result["id"] for result in response.json()["results"]]
    assert len(set(created)) == 10_000
    listed, url = [], CUSTOMERS + "?has_email=true&limit=100"
    while url:
        page = call(client, "get", url, writer).json()
        listed += [item["id"] for item in page["items"]]
        url = page["next"]
    assert len(listed) == len(set(listed)) == 5000
    first = call(client, "get", f"{CUSTOMERS}{listed[0]}/", writer)
    assert patch(client, writer, listed[0], {"city": "Lyon"}, first["ETag"]).status_code == 200
    assert patch(client, writer, listed[0], {"city": "Nice"}, first["ETag"]).status_code == 412
