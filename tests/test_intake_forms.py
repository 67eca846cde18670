"""Intake forms: admins build a public form from customer fields; a visitor's answers land on the roster."""

import pytest

from accounts.models import Role
from accounts.tenancy import tenant
from customers import services
from customers.models import (
    STAFF_AUDIENCES,
    Activity,
    Audience,
    Customer,
    CustomField,
    CustomFieldValue,
    FieldType,
    IntakeForm,
    Scope,
    Source,
)
from tests.conftest import logged_in, make_member, make_user
from tests.factories import customer

BUILDER = "/app/{slug}/settings/forms/"


@pytest.fixture
def allergies(org_a):
    with tenant(org_a):
        everyone = [*STAFF_AUDIENCES, Audience.CUSTOMER]
        field = CustomField(
            label="Allergies",
            type=FieldType.TEXT,
            scope=Scope.PERSON,
            visible_to=everyone,
            editable_by=everyone,
        )
        return services.custom_field_save(field=field, options=[])


@pytest.fixture
def staff_only(org_a):
    with tenant(org_a):
        field = CustomField(
            label="Credit risk",
            type=FieldType.TEXT,
            visible_to=list(STAFF_AUDIENCES),
            editable_by=list(STAFF_AUDIENCES),
        )
        return services.custom_field_save(field=field, options=[])


@pytest.fixture
def camp_form(alice_client, org_a, allergies, staff_only):
    data = {
        "title": "Summer camp sign-up",
        "slug": "camp",
        "intro": "Tell us about your camper.",
        "is_open": "on",
        "field": ["birthday", allergies.name, "first_name", "phone", staff_only.name],
        f"required:{allergies.name}": "on",
        "required:first_name": "",
    }
    response = alice_client.post(BUILDER.format(slug=org_a.slug) + "new/", data)
    assert response.status_code == 302
    with tenant(org_a):
        return IntakeForm.objects.get()


def answers(allergies, **extra) -> dict:
    return {
        "first_name": "Cam",
        "last_name": "Per",
        "email": "Cam@Example.com",
        "birthday": "2015-06-01",
        allergies.name: "Bees",
    } | extra


def test_admin_builds_a_form_from_fields_a_customer_may_fill(alice_client, org_a, camp_form, allergies):
    assert [item["name"] for item in camp_form.fields] == [
        "birthday",
        allergies.name,
        "first_name",
        "phone",
        "last_name",
        "email",
    ]  # chosen order; the staff-only field dropped; name and email always, and always required
    required = {item["name"] for item in camp_form.fields if item["required"]}
    assert required == {allergies.name, "first_name", "last_name", "email"}
    listing = alice_client.get(BUILDER.format(slug=org_a.slug)).text
    assert "Summer camp sign-up" in listing and f"/{org_a.slug}/forms/camp/" in listing
    builder = alice_client.get(BUILDER.format(slug=org_a.slug) + f"{camp_form.pk}/").text
    assert "Credit risk" not in builder
    staff = logged_in(make_member(org_a, Role.STAFF, "sal@alpha.example"))
    assert staff.get(BUILDER.format(slug=org_a.slug)).status_code == 403


def test_a_visitor_is_added_to_the_roster_with_the_activity_recorded(client, org_a, camp_form, allergies):
    page = client.get(f"/{org_a.slug}/forms/camp/").text
    assert "Tell us about your camper." in page and "Allergies" in page and "Credit risk" not in page
    assert page.index("Birthday") < page.index("Allergies") < page.index("First name")
    response = client.post(f"/{org_a.slug}/forms/camp/", answers(allergies))
    assert response.status_code == 302
    assert "has received your answers" in client.get(response.url).text
    with tenant(org_a):
        cam = Customer.objects.get()
        assert (cam.email, cam.source) == ("cam@example.com", Source.FORM)
        assert CustomFieldValue.objects.get(customer=cam).text == "Bees"
        event = Activity.objects.get(customer=cam)
        assert event.kind == Activity.Kind.FORM and event.detail == "Intake form “Summer camp sign-up”"


def test_an_existing_customer_is_updated_and_blank_answers_erase_nothing(client, org_a, camp_form, allergies):
    with tenant(org_a):
        cam = customer(first_name="Cam", last_name="Per", email="cam@example.com", phone="312-555-0100")
    client.post(f"/{org_a.slug}/forms/camp/", answers(allergies, phone=""))
    with tenant(org_a):
        cam.refresh_from_db()
        assert Customer.objects.count() == 1
        assert cam.phone == "312-555-0100" and str(cam.birthday) == "2015-06-01"
        assert CustomFieldValue.objects.get(customer=cam).text == "Bees"


def test_a_claimed_account_only_gets_blanks_filled(client, org_a, camp_form, allergies):
    with tenant(org_a):
        cam = customer(first_name="Cam", last_name="Per", email="cam@example.com", birthday=None)
        Customer.objects.filter(pk=cam.pk).update(user=make_user("cam@example.com"))
    client.post(f"/{org_a.slug}/forms/camp/", answers(allergies, first_name="Mallory"))
    with tenant(org_a):
        cam.refresh_from_db()
        assert cam.first_name == "Cam" and str(cam.birthday) == "2015-06-01"


def test_bad_answers_get_messages_next_to_fields(client, org_a, camp_form, allergies):
    response = client.post(
        f"/{org_a.slug}/forms/camp/", answers(allergies, email="cam@", **{allergies.name: ""})
    )
    assert response.status_code == 200
    assert "Enter a valid email address." in response.text and "This field is required." in response.text
    with tenant(org_a):
        assert not Customer.objects.exists()


def test_spam_guards(client, org_a, camp_form, allergies):
    response = client.post(f"/{org_a.slug}/forms/camp/", answers(allergies, website="http://spam.example"))
    assert response.status_code == 302  # the bot is thanked…
    with tenant(org_a):
        assert not Customer.objects.exists()  # …and nothing is kept
    statuses = [client.post(f"/{org_a.slug}/forms/camp/", answers(allergies)).status_code for _ in range(5)]
    assert statuses == [302, 302, 302, 302, 429]
    assert "Please wait a little" in client.post(f"/{org_a.slug}/forms/camp/", answers(allergies)).text


def test_closed_and_other_organizations_forms_are_not_found(client, org_a, org_b, camp_form):
    assert client.get(f"/{org_b.slug}/forms/camp/").status_code == 404
    with tenant(org_a):
        IntakeForm.objects.update(is_open=False)
    assert client.get(f"/{org_a.slug}/forms/camp/").status_code == 404
