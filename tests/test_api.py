"""The JSON API: keys made in settings (shown once, kept as a hash, revocable, scoped to one organization) and
imports sent as JSON or CSV, with the same validation and job tracking as uploads."""

import json

import pytest

from accounts.tenancy import tenant
from api.models import ApiKey
from api.selectors import key_hash
from api.services import key_create
from customers.models import Customer
from imports import work_services
from imports.models import ImportJob
from tests.factories import customer

SETTINGS = "/app/{slug}/settings/api-keys/"
IMPORTS = "/api/v1/imports/"


def make_key(org, user, scopes=("imports:write",)) -> str:
    with tenant(org):
        return key_create(name="Website", scopes=list(scopes), by=user)[1]


def call(client, method, path, key=None, body=None, content_type="application/json", **headers):
    if key:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    data = body if isinstance(body, str) or body is None else json.dumps(body)
    return getattr(client, method)(path, data=data, content_type=content_type, **headers)


def work(org, job_id: int) -> ImportJob:
    work_services.job_work(organization=org, job_id=job_id)
    with tenant(org):
        return ImportJob.objects.get(pk=job_id)


def test_an_admin_makes_a_key_sees_it_once_and_revokes_it(alice_client, org_a, alice):
    page = alice_client.post(SETTINGS.format(slug="alpha"), {"name": "Website", "scopes": ["imports:write"]})
    secret = page.context["secret"]
    assert secret.startswith("rk_") and secret in page.content.decode()
    with tenant(org_a):
        key = ApiKey.objects.get()
    assert key.key_hash == key_hash(secret) and secret not in key.key_hash
    listing = alice_client.get(SETTINGS.format(slug="alpha")).content.decode()
    assert key.prefix in listing and secret not in listing
    assert call(alice_client, "get", IMPORTS + "1/", secret).status_code == 404  # the key works
    alice_client.post(SETTINGS.format(slug="alpha") + f"{key.pk}/revoke/")
    assert call(alice_client, "get", IMPORTS + "1/", secret).status_code == 401


def test_staff_cannot_manage_keys(org_a, carol_client):
    assert carol_client.get(SETTINGS.format(slug="alpha")).status_code == 403


def test_a_json_import_runs_through_validation_into_the_roster(client, org_a, alice):
    key = make_key(org_a, alice)
    body = [
        {"first_name": "Ana", "last_name": "Lee", "email": "ana@example.com", "tags": ["VIP", "Soccer"]},
        {"first_name": "Ben", "last_name": "Ito", "email": "not-an-email", "marketing_opt_in": True},
        {"first_name": "Cy", "last_name": "Ono", "birthday": "2015-02-03", "note": "From the website"},
    ]
    response = call(client, "post", IMPORTS, key, body)
    assert response.status_code == 201, response.content
    job = work(org_a, response.json()["id"])
    assert (job.status, job.created, job.skipped) == ("done", 2, 1)
    status = call(client, "get", f"{IMPORTS}{job.pk}/", key).json()
    assert status["status"] == "done" and status["created"] == 2
    errors = call(client, "get", status["errors_url"], key).json()
    assert (
        errors["count"] == 1 and errors["items"][0]["row"] == 3 and "email" in errors["items"][0]["message"]
    )
    assert call(client, "get", status["errors_url"] + "?offset=1", key).json()["items"] == []
    too_far = call(client, "get", status["errors_url"] + "?offset=169148573533380483743744", key)
    assert too_far.status_code == 422 and "offset" in too_far.json()["errors"]  # not a bigint: was a 500
    with tenant(org_a):
        assert Customer.objects.get(email="ana@example.com").source == "api"


def test_a_csv_body_and_a_dry_run_wait_for_the_run_call(client, org_a, alice):
    key = make_key(org_a, alice)
    csv_body = "First name,Last name,E-mail\nAna,Lee,ana@example.com\n"
    response = call(client, "post", IMPORTS + "?dry_run=true", key, csv_body, content_type="text/csv")
    job = work(org_a, response.json()["id"])
    assert job.status == "ready" and job.to_create == 1
    with tenant(org_a):
        assert not Customer.objects.exists()
    assert call(client, "post", f"{IMPORTS}{job.pk}/run/", key).status_code == 200
    assert work(org_a, job.pk).created == 1
    assert call(client, "post", f"{IMPORTS}{job.pk}/run/", key).status_code == 409


def test_the_same_idempotency_key_returns_the_first_job(client, org_a, alice):
    key = make_key(org_a, alice)
    body = [{"first_name": "Ana", "last_name": "Lee"}]
    first = call(client, "post", IMPORTS, key, body, HTTP_IDEMPOTENCY_KEY="order-17")
    again = call(client, "post", IMPORTS, key, body, HTTP_IDEMPOTENCY_KEY="order-17")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    with tenant(org_a):
        assert ImportJob.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        ("{not json", "application/json", "not valid JSON"),
        ('{"first_name": "Ana"}', "application/json", "JSON array"),
        ("[]", "application/json", "JSON array"),
        ("[1, 2]", "application/json", "Item 1 is not an object"),
        ('[{"first_name": {"x": 1}}]', "application/json", "must be text"),
        ('[{"shoe_size": 9}]', "application/json", "Unknown fields: shoe_size"),
        ("", "text/csv", "The body is empty"),
    ],
)
def test_bad_bodies_get_a_400_with_the_reason(client, org_a, alice, body, content_type, message):
    key = make_key(org_a, alice)
    response = call(client, "post", IMPORTS, key, body, content_type=content_type)
    assert response.status_code == 400 and message in response.json()["detail"]


def test_keys_are_checked_scoped_and_kept_to_their_organization(client, org_a, org_b, alice, bob):
    key_a, key_b = make_key(org_a, alice), make_key(org_b, bob)
    with tenant(org_b):
        customer(first_name="Ana", last_name="Beta", email="ana@example.com")
    assert call(client, "get", IMPORTS + "1/").status_code == 401
    assert call(client, "get", IMPORTS + "1/", "rk_made-up").status_code == 401
    assert (
        call(client, "post", IMPORTS, make_key(org_a, alice, scopes=()), [{"first_name": "A"}]).status_code
        == 403
    )
    response = call(
        client,
        "post",
        IMPORTS,
        key_b,
        [{"first_name": "Ana", "last_name": "Other", "email": "ana@example.com"}],
    )
    their_job = response.json()["id"]
    assert call(client, "get", f"{IMPORTS}{their_job}/", key_a).status_code == 404
    assert call(client, "get", f"{IMPORTS}{their_job}/errors/", key_a).status_code == 404
    assert call(client, "post", f"{IMPORTS}{their_job}/run/", key_a).status_code == 404
    ours = call(
        client,
        "post",
        IMPORTS,
        key_a,
        [{"first_name": "Ana", "last_name": "Alpha", "email": "ana@example.com"}],
    )
    assert (
        work(org_a, ours.json()["id"]).created == 1
    )  # the same email in another organization is not a match
    with tenant(org_b):
        assert Customer.objects.get(email="ana@example.com").last_name == "Beta"


def test_the_api_is_documented(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/imports/" in schema["paths"]
    assert client.get("/api/v1/docs").status_code == 200
