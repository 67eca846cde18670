"""Signing up, creating an organization, switching between organizations, and organization settings."""

import pytest

from accounts.models import Membership, Organization, Role, User
from accounts.tenancy import tenant
from tests.conftest import PASSWORD, logged_in, make_member

SIGNUP = {
    "email": "Nina@Example.com",
    "first_name": "Nina",
    "last_name": "Ortiz",
    "password1": PASSWORD,
    "password2": PASSWORD,
}


def test_visitor_signs_up_and_is_asked_for_an_organization(client, org_b):
    response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/organizations/new/"
    user = User.objects.get(email="nina@example.com")
    assert user.password.startswith("argon2")
    assert client.get("/accounts/organizations/new/").status_code == 200


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"password2": "something-else-entirely"}, "password2", "The two password fields didn’t match."),
        ({"password1": "short", "password2": "short"}, "password2", "This password is too short."),
        ({"email": "ALICE@alpha.example"}, "email", "User with this Email already exists."),
    ],
)
def test_signup_shows_what_is_wrong_next_to_the_field(client, alice, org_b, change, field, message):
    response = client.post("/accounts/signup/", SIGNUP | change)
    assert response.status_code == 200
    assert message in response.context["form"].errors[field][0]
    assert not User.objects.filter(first_name="Nina").exists()


def test_signup_next_is_followed_only_within_the_site(client, org_b):
    response = client.post("/accounts/signup/?next=https://evil.example/", SIGNUP)
    assert response["Location"] == "/accounts/organizations/new/"


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
    page = alice_client.get(f"/app/{org_a.slug}/customers/").text
    assert org_a.name in page and org_b.name in page
    assert alice_client.get(f"/app/{org_b.slug}/families/").status_code == 200
    assert alice_client.get("/accounts/organizations/").status_code == 200


def test_organization_list_sends_a_single_organization_straight_in(alice_client, org_a):
    response = alice_client.get("/accounts/organizations/")
    assert response["Location"] == f"/app/{org_a.slug}/"


def test_switcher_never_lists_organizations_the_user_is_not_in(bob_client, org_a, org_b):
    page = bob_client.get(f"/app/{org_b.slug}/customers/").text
    assert org_b.name in page
    assert org_a.name not in page


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


def test_staff_role_gets_403_on_settings_and_no_settings_link(org_a, org_b):
    client = logged_in(make_member(org_a, Role.STAFF, "stan@alpha.example"))
    assert client.get(f"/app/{org_a.slug}/settings/").status_code == 403
    assert client.get(f"/app/{org_a.slug}/imports/").status_code == 403
    page = client.get(f"/app/{org_a.slug}/customers/").text
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
