"""Signing up, creating an organization, switching between organizations, and organization settings."""

import smtplib
import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership, Organization, Role, User
from accounts.tenancy import tenant
from tests.conftest import PASSWORD, logged_in, make_member
from tests.inbox import comparable, email_text, emailed_path, visitor

SIGNUP = {
    "email": "Nina@Example.com",
    "first_name": "Nina",
    "last_name": "Ortiz",
    "password1": PASSWORD,
    "password2": PASSWORD,
}


@pytest.mark.django_db(transaction=True)
def test_visitor_confirms_their_address_before_the_login_works(celery_worker, smtp_server, org_b):
    client = visitor()
    response = client.post("/accounts/signup/?next=https://evil.example/", SIGNUP)
    assert response.status_code == 200 and "Check your email" in response.text
    user = User.objects.get(email="nina@example.com")
    assert user.password.startswith("argon2") and user.email_verified_at is None
    assert client.get("/accounts/organizations/new/").status_code == 302  # not signed in
    refused = client.post("/accounts/login/", {"username": "nina@example.com", "password": PASSWORD})
    assert "Confirm your email address first" in refused.text

    path = emailed_path(smtp_server.wait_for("nina@example.com"), r"/accounts/signup/confirm/\S+")
    assert "Nina" not in email_text(smtp_server.wait_for("nina@example.com"))  # no visitor-typed text
    uidb64, token = path.split("?")[0].strip("/").split("/")[-2:]
    assert client.get(f"/accounts/signup/confirm/{uidb64}/{token[:-2]}xx/").status_code == 404
    page = client.get(path)
    assert page.status_code == 200 and "Confirm and sign in" in page.text
    refused = client.post(path, {"password": "not-what-nina-chose"})
    assert "not the password chosen when signing up" in refused.text
    assert User.objects.get(email="nina@example.com").email_verified_at is None
    response = client.post(path, {"password": PASSWORD})
    assert response["Location"] == "/accounts/organizations/new/"  # the foreign next is dropped
    assert client.get("/accounts/organizations/new/").status_code == 200
    assert User.objects.get(email="nina@example.com").email_verified_at is not None
    assert Client().get(path).status_code == 404  # used once


@pytest.mark.django_db(transaction=True)
def test_an_address_with_letters_of_another_script_gets_its_confirmation(celery_worker, smtp_server, org_b):
    visitor().post("/accounts/signup/", SIGNUP | {"email": "Jürgen.Müller@example.de"})
    message = smtp_server.wait_for("jürgen.müller@example.de")
    assert emailed_path(message, r"/accounts/signup/confirm/\S+")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"password2": "something-else-entirely"}, "password2", "The two password fields didn’t match."),
        ({"password1": "short", "password2": "short"}, "password2", "This password is too short."),
    ],
)
def test_signup_shows_what_is_wrong_next_to_the_field(alice, org_b, change, field, message):
    response = visitor().post("/accounts/signup/", SIGNUP | change)
    assert response.status_code == 200
    assert message in response.context["form"].errors[field][0]
    assert not User.objects.filter(first_name="Nina").exists()


@pytest.mark.django_db(transaction=True)
def test_signup_with_an_address_that_has_a_login_says_the_same_and_emails_its_owner(
    celery_worker, smtp_server, alice, org_a
):
    client = visitor()
    taken = client.post("/accounts/signup/", SIGNUP | {"email": "ALICE@alpha.example"})
    fresh = client.post("/accounts/signup/", SIGNUP | {"email": "fresh@example.com"})
    assert comparable(taken.text).replace("alice@alpha.example", "") == comparable(fresh.text).replace(
        "fresh@example.com", ""
    )
    notice = email_text(smtp_server.wait_for("alice@alpha.example"))
    assert "You already have a login with this address" in notice and "/accounts/password/reset/" in notice
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD) and alice.first_name == "Alice"  # untouched
    assert User.objects.filter(email="fresh@example.com", email_verified_at=None).exists()


def test_signup_is_throttled_per_visitor_and_per_address(org_b):
    client = visitor()
    for number in range(10):
        response = client.post("/accounts/signup/", SIGNUP | {"email": f"n{number}@example.com"})
        assert response.status_code == 200
    refused = client.post("/accounts/signup/", SIGNUP | {"email": "n10@example.com"})
    assert refused.status_code == 429 and "Too many sign-ups" in refused.text
    assert not User.objects.filter(email="n10@example.com").exists()
    # Another address: a fourth request for one email in the hour sends nothing (one login, one email).
    spammer = [visitor() for _ in range(5)]
    for client in spammer:
        client.post("/accounts/signup/", SIGNUP | {"email": "flooded@example.com"})
    assert User.objects.filter(email="flooded@example.com").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_new_password_from_the_reset_link_confirms_the_address(celery_worker, smtp_server, org_b):
    client = visitor()
    client.post("/accounts/signup/", SIGNUP | {"email": "forgot.link@example.com"})
    smtp_server.wait_for("forgot.link@example.com")
    client.post("/accounts/password/reset/", {"email": "forgot.link@example.com"})
    deadline = time.monotonic() + 30
    while not (resets := [m for m in smtp_server.messages if m["Subject"] == "Reset your Roster password"]):
        assert time.monotonic() < deadline, "no reset email"
        time.sleep(0.1)
    page = client.get(emailed_path(resets[0], r"/accounts/password/reset/\S+/"), follow=True)
    new = "a-brand-new-passphrase-42"
    client.post(page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert User.objects.get(email="forgot.link@example.com").email_verified_at is not None
    login = client.post("/accounts/login/", {"username": "forgot.link@example.com", "password": new})
    assert login.status_code == 302


def test_new_owner_creates_an_organization_and_lands_in_it(alice_client, alice):
    response = alice_client.post(
        "/accounts/organizations/new/",
        {"name": "Jump Zone", "slug": "jump-zone", "time_zone": "Europe/Paris", "currency": "EUR"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/app/jump-zone/"
    organization = Organization.objects.get(slug="jump-zone")
    with tenant(organization):
        assert Membership.objects.get().user == alice
        assert Membership.objects.get().role == Role.OWNER
    page = alice_client.get("/app/jump-zone/customers/")
    assert page.status_code == 200
    assert "Jump Zone" in page.text


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"slug": "admin"}, "slug", "reserved"),
        ({"slug": "beta"}, "slug", "This web address is taken"),
        ({"slug": "Has Spaces"}, "slug", "Enter a valid"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Select a valid choice"),
        ({"currency": "XXX"}, "currency", "Select a valid choice"),
        ({"name": ""}, "name", "This field is required."),
    ],
)
def test_organization_form_refuses_bad_input(alice_client, change, field, message):
    data = {"name": "Jump Zone", "slug": "jump-zone", "time_zone": "Europe/Paris", "currency": "EUR"} | change
    response = alice_client.post("/accounts/organizations/new/", data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Organization.objects.filter(name="Jump Zone").exists()


def test_user_of_two_organizations_sees_both_in_the_switcher(alice_client, alice, org_a, org_b):
    with tenant(org_b):
        Membership.objects.create(user=alice, role=Role.STAFF)
    switcher = f"/app/{org_a.slug}/switcher/"
    with CaptureQueriesContext(connection) as queries:
        page = alice_client.get(f"/app/{org_a.slug}/customers/").text
    # The page names the current organization; the list comes when the switcher is opened.
    assert org_a.name in page and org_b.name not in page and f'hx-get="{switcher}"' in page
    assert not [query for query in queries if "app.user_id" in query["sql"]]
    items = alice_client.get(switcher, headers={"HX-Request": "true"}).text
    assert items.count('class="dropdown-item') == 2 and f"{org_a.name} <span" in items and org_b.name in items
    assert f'href="/app/{org_a.slug}/" aria-current="page"' in items
    assert f'href="/app/{org_b.slug}/">' in items
    assert alice_client.get(f"/app/{org_b.slug}/families/").status_code == 200
    assert alice_client.get("/accounts/organizations/").status_code == 200


def test_organization_list_sends_a_single_organization_straight_in(alice_client, org_a):
    response = alice_client.get("/accounts/organizations/")
    assert response["Location"] == f"/app/{org_a.slug}/"


def test_switcher_never_lists_organizations_the_user_is_not_in(bob_client, org_a, org_b):
    items = bob_client.get(f"/app/{org_b.slug}/switcher/").text
    assert org_b.name in items
    assert org_a.name not in items
    assert bob_client.get(f"/app/{org_a.slug}/switcher/").status_code == 404


def test_login_with_email_in_any_case(client, alice, org_a):
    response = client.post("/accounts/login/", {"username": "Alice@Alpha.example", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(f"/app/{org_a.slug}/customers/").status_code == 200


def test_owner_renames_the_organization(alice_client, org_a):
    response = alice_client.post(
        f"/app/{org_a.slug}/settings/", {"name": "Alpha Renamed", "time_zone": "UTC", "currency": "GBP"}
    )
    assert response.status_code == 302
    org_a.refresh_from_db()
    assert (org_a.name, org_a.time_zone, org_a.currency) == ("Alpha Renamed", "UTC", "GBP")


def test_admin_sees_settings_but_cannot_change_organization_details(org_a, org_b):
    client = logged_in(make_member(org_a, Role.ADMIN, "adele@alpha.example"))
    assert client.get(f"/app/{org_a.slug}/settings/").status_code == 200
    client.post(f"/app/{org_a.slug}/settings/", {"name": "Hijacked", "time_zone": "UTC", "currency": "USD"})
    org_a.refresh_from_db()
    assert org_a.name != "Hijacked"


def test_staff_role_gets_403_on_settings_and_no_settings_link(org_a, org_b, carol_client):
    assert carol_client.get(f"/app/{org_a.slug}/settings/").status_code == 403
    assert carol_client.get(f"/app/{org_a.slug}/imports/").status_code == 403
    page = carol_client.get(f"/app/{org_a.slug}/customers/").text
    assert f"/app/{org_a.slug}/settings/" not in page


def test_organization_name_is_escaped_everywhere(alice, org_b):
    from accounts import services

    organization = services.organization_create(
        name="<script>alert(1)</script>", slug="xss", time_zone="UTC", currency="USD", owner=alice
    )
    page = logged_in(alice).get(f"/app/{organization.slug}/customers/").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_platform_admin_lists_organizations_but_staff_cannot(org_a, org_b, alice):
    platform = User.objects.create_superuser("root@roster.example", PASSWORD)
    page = logged_in(platform).get("/admin/accounts/organization/")
    assert page.status_code == 200
    assert org_a.name in page.text and org_b.name in page.text
    assert logged_in(alice).get("/admin/accounts/organization/").status_code == 302


def test_a_login_s_emails_wait_out_a_database_or_mail_outage_as_tenant_emails_do():
    from django.db import OperationalError

    from accounts import tasks

    for task in (
        tasks.signup_confirmation_send,
        tasks.signup_confirmation_resend,
        tasks.existing_login_notice,
        tasks.password_reset_request,
        tasks.staff_invitation_send,
    ):
        assert {OperationalError, smtplib.SMTPException} <= set(task.autoretry_for), task.name
        assert task.max_retries == 10 and task.retry_backoff and task.acks_late, task.name
