"""Required Customer Fields: the admin grid, and every customer form following its channel's column."""

import pytest

from accounts.tenancy import tenant
from customers.models import Customer, FieldRuleChange
from customers.rules import Channel, Rule, grid_rules
from tests.conftest import PASSWORD
from tests.factories import customer
from tests.inbox import signup_and_confirm

GRID = "/app/{slug}/settings/required-fields/"
SIGNUP = {
    "first_name": "Vera",
    "last_name": "Visitor",
    "email": "vera@example.com",
    "phone": "312-555-0142",
    "password1": PASSWORD,
    "password2": PASSWORD,
    "child-TOTAL_FORMS": "0",  # no children
    "child-INITIAL_FORMS": "0",
}


def grid_url(org) -> str:
    return GRID.format(slug=org.slug)


def save_grid(client, org, **cells):
    data = {f"rule:{key.replace('__', ':')}": value for key, value in cells.items()}
    return client.post(grid_url(org), data)


def test_admins_see_the_grid_staff_do_not_and_other_admins_get_404(alice_client, carol_client, org_a, org_b):
    page = alice_client.get(grid_url(org_a)).text
    assert "Online Booking" in page and "Staff Portal" in page
    assert 'aria-label="Email, Online Booking, Required"' not in page  # locked: no radio to change
    assert 'aria-label="Birthday, Online Booking, Required"' in page
    assert "The email is the login of an online account" in page
    assert carol_client.get(grid_url(org_a)).status_code == 403
    assert alice_client.get(grid_url(org_b)).status_code == 404


def test_saving_changes_rules_and_records_history(alice_client, org_a, org_b):
    response = save_grid(
        alice_client, org_a, birthday__online_booking="required", gender__online_store="hidden"
    )
    assert "Saved (2 changes)." in response.text
    with tenant(org_a):
        rules = grid_rules()
        assert rules[("birthday", "online_booking")] == Rule.REQUIRED
        assert rules[("gender", "online_store")] == Rule.HIDDEN
        change = FieldRuleChange.objects.get(field="birthday")
    assert (change.before, change.after, change.changed_by.email) == (
        "optional",
        "required",
        "alice@alpha.example",
    )
    assert "Optional → Required" in alice_client.get(grid_url(org_a)).text
    with tenant(org_b):
        assert grid_rules()[("birthday", "online_booking")] == Rule.OPTIONAL


@pytest.mark.parametrize(
    "cells",
    [
        {"nonsense__online_booking": "required"},
        {"birthday__moon": "required"},
        {"birthday__online_booking": "mandatory"},
        {"first_name__staff": "hidden"},
        {"email__online_store": "optional"},
        {"marketing_opt_in__staff": "required"},
    ],
)
def test_tampered_grid_posts_change_nothing(alice_client, org_a, org_b, cells):
    response = save_grid(alice_client, org_a, phone__staff="required", **cells)
    assert "Nothing was saved." in response.text
    with tenant(org_a):
        assert grid_rules()[("phone", "staff")] == Rule.OPTIONAL
        assert not FieldRuleChange.objects.exists()


def test_staff_form_follows_the_staff_column(alice_client, org_a, org_b):
    save_grid(alice_client, org_a, phone__staff="required", country__staff="hidden")
    page = alice_client.get(f"/app/{org_a.slug}/customers/new/").text
    assert 'name="country"' not in page and 'name="phone"' in page
    refused = alice_client.post(f"/app/{org_a.slug}/customers/new/", {"first_name": "A", "last_name": "B"})
    assert refused.context["form"].errors["phone"] == ["This field is required."]
    saved = alice_client.post(
        f"/app/{org_a.slug}/customers/new/",
        {"first_name": "A", "last_name": "B", "phone": "312-555-0100", "country": "Atlantis"},
    )
    assert saved.status_code == 302
    with tenant(org_a):
        assert Customer.objects.get(last_name="B").country == ""  # hidden: posted value ignored


def test_editing_a_customer_asks_for_fields_required_since(alice_client, org_a, org_b, alice):
    with tenant(org_a):
        kid = customer(first_name="Kim", last_name="Lee", by=alice)
    save_grid(alice_client, org_a, birthday__staff="required")
    page = alice_client.get(f"/app/{org_a.slug}/customers/{kid.pk}/edit/").text
    assert "Now required here, and still empty: Birthday" in page


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("channel_slug", ["booking", "store"])
def test_visitor_signs_up_with_the_channels_fields(
    celery_worker, smtp_server, client, alice_client, org_a, org_b, channel_slug
):
    channel = {"booking": "online_booking", "store": "online_store"}[channel_slug]
    save_grid(alice_client, org_a, **{f"birthday__{channel}": "required", f"gender__{channel}": "hidden"})
    url = f"/{org_a.slug}/signup/{channel_slug}/"
    page = client.get(url).text
    assert 'name="birthday"' in page and 'name="gender"' not in page and 'name="number"' not in page
    missing = client.post(url, SIGNUP)
    assert missing.context["form"].errors["birthday"] == ["This field is required."]
    email = f"vera.{channel_slug}@example.com"
    data = SIGNUP | {"email": email, "birthday": "1990-02-03", "gender": "male", "number": "VIP-1"}
    response = signup_and_confirm(client, smtp_server, org_a, data, channel_slug)
    assert response["Location"] == f"/{org_a.slug}/account/"
    with tenant(org_a):
        vera = Customer.objects.get(email=email)
    assert (vera.gender, vera.number, vera.source, vera.user.email) == ("", "", channel, email)
    assert "Welcome, Vera!" in client.get(response["Location"]).text


def test_optional_fields_may_stay_blank_online(client, org_a, org_b):
    response = client.post(f"/{org_a.slug}/signup/booking/", SIGNUP)
    assert response.status_code == 200 and "Check your email" in response.text


def test_signup_never_takes_over_an_existing_login(client, org_a, org_b, bob):
    response = client.post(f"/{org_a.slug}/signup/store/", SIGNUP | {"email": "BOB@beta.example"})
    assert "Check your email" in response.text  # the email to bob says he has a login
    with tenant(org_a):
        assert not Customer.objects.exists()


def test_signup_does_not_reveal_whose_record_an_email_belongs_to(client, org_a, org_b, alice):
    with tenant(org_a):
        customer(first_name="Secret", last_name="Person", email="vera@example.com", by=alice)
    response = client.post(f"/{org_a.slug}/signup/booking/", SIGNUP)
    assert "Check your email" in response.text and "Secret" not in response.text
    assert "already" not in response.text


def test_unknown_signup_channel_is_404(client, org_a):
    assert client.get(f"/{org_a.slug}/signup/elsewhere/").status_code == 404
    assert client.get("/no-such-org/signup/booking/").status_code == 404


def test_online_defaults_follow_common_practice(org_a):
    with tenant(org_a):
        rules = grid_rules()
    assert rules[("phone", Channel.ONLINE_BOOKING)] == Rule.REQUIRED
    assert rules[("birthday", Channel.ONLINE_STORE)] == Rule.OPTIONAL
    assert rules[("number", Channel.ONLINE_BOOKING)] == Rule.HIDDEN
    assert rules[("phone", Channel.STAFF)] == Rule.OPTIONAL
