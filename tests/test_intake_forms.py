"""Intake forms: admins build a public form from customer fields; a visitor's answers land on the roster."""

import pytest
from django.test import Client

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
    Scope,
    Source,
)
from intake.models import IntakeEvent, IntakeForm, PendingChange
from tests.conftest import make_user
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
        return services.custom_field_save(field=field, options=[], by=None)


@pytest.fixture
def staff_only(org_a):
    with tenant(org_a):
        field = CustomField(
            label="Credit risk",
            type=FieldType.TEXT,
            visible_to=list(STAFF_AUDIENCES),
            editable_by=list(STAFF_AUDIENCES),
        )
        return services.custom_field_save(field=field, options=[], by=None)


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


def test_admin_builds_a_form_from_fields_a_customer_may_fill(
    alice_client, carol_client, org_a, camp_form, allergies
):
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
    assert carol_client.get(BUILDER.format(slug=org_a.slug)).status_code == 403


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
        assert event.kind == IntakeEvent.FORM and event.detail == "Intake form “Summer camp sign-up”"


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


# Anonymous submissions never overwrite a customer: blanks are filled, differences wait for staff. ---------


@pytest.fixture
def consent_form(alice_client, org_a):
    data = {
        "title": "Newsletter",
        "slug": "news",
        "is_open": "on",
        "field": ["phone", "emergency_contact_phone", "birthday", "marketing_opt_in"],
    }
    assert alice_client.post(BUILDER.format(slug=org_a.slug) + "new/", data).status_code == 302
    with tenant(org_a):
        return IntakeForm.objects.get(slug="news")


def visitor(**extra) -> dict:
    return {"first_name": "Cam", "last_name": "Per", "email": "cam@example.com"} | extra


def test_marketing_consent_cannot_be_made_compulsory_on_an_intake_form(alice_client, client, org_a):
    data = {
        "title": "Newsletter",
        "slug": "news",
        "is_open": "on",
        "field": ["marketing_opt_in"],
        "required:marketing_opt_in": "on",
    }
    response = alice_client.post(BUILDER.format(slug=org_a.slug) + "new/", data)
    assert response.status_code == 200
    assert "Consent to marketing cannot be made compulsory." in response.text
    with tenant(org_a):
        assert not IntakeForm.objects.exists()
        # A form saved before the rule (or written around it) still never requires the box.
        IntakeForm.objects.create(
            title="Old",
            slug="old",
            fields=[
                *({"name": name, "required": True} for name in ("first_name", "last_name", "email")),
                {"name": "marketing_opt_in", "required": True},
            ],
        )
    assert client.post(f"/{org_a.slug}/forms/old/", visitor()).status_code == 302


def test_an_anonymous_answer_fills_blanks_and_keeps_differences_for_review(client, org_a, consent_form):
    with tenant(org_a):
        cam = customer(
            first_name="Cam", last_name="Per", email="cam@example.com", emergency_contact_phone="312-555-0199"
        )
    response = client.post(
        f"/{org_a.slug}/forms/news/",
        visitor(first_name="Mallory", birthday="2015-06-01", emergency_contact_phone="312-555-0666"),
    )
    assert response.status_code == 302
    with tenant(org_a):
        cam.refresh_from_db()
        assert str(cam.birthday) == "2015-06-01"  # blank on file: filled
        assert cam.first_name == "Cam" and cam.emergency_contact_phone == "312-555-0199"  # never overwritten
        pending = {(c.field, c.proposed) for c in PendingChange.objects.filter(customer=cam)}
        assert pending == {("first_name", "Mallory"), ("emergency_contact_phone", "312-555-0666")}
        event = Activity.objects.get(customer=cam, kind=IntakeEvent.FORM)
        assert event.changes == {"birthday": [None, "2015-06-01"]}
    # The same answers again add nothing new to review.
    client.post(f"/{org_a.slug}/forms/news/", visitor(first_name="Mallory"))
    with tenant(org_a):
        assert PendingChange.objects.filter(customer=cam).count() == 2


def test_an_unticked_box_is_no_answer_and_consent_is_never_set_anonymously(client, org_a, consent_form):
    with tenant(org_a):
        opted_in = customer(first_name="Cam", last_name="Per", email="cam@example.com", marketing_opt_in=True)
        opted_out = customer(first_name="Ola", last_name="Out", email="ola@example.com")
    client.post(f"/{org_a.slug}/forms/news/", visitor())  # box left unticked
    client.post(
        f"/{org_a.slug}/forms/news/",
        visitor(first_name="Ola", last_name="Out", email="ola@example.com", marketing_opt_in="on"),
    )
    client.post(f"/{org_a.slug}/forms/news/", visitor(email="new@example.com", marketing_opt_in="on"))
    with tenant(org_a):
        opted_in.refresh_from_db()
        opted_out.refresh_from_db()
        newcomer = Customer.objects.get(email="new@example.com")
        assert opted_in.marketing_opt_in is True and not PendingChange.objects.filter(customer=opted_in)
        assert opted_out.marketing_opt_in is False and newcomer.marketing_opt_in is False
        for person in (opted_out, newcomer):  # staff confirm a consent; a stranger cannot give it
            change = PendingChange.objects.get(customer=person)
            assert (change.field, change.proposed) == ("marketing_opt_in", True)


def test_staff_accept_or_reject_each_answer_from_the_profile(alice_client, org_a, consent_form):
    with tenant(org_a):
        cam = customer(first_name="Cam", last_name="Per", email="cam@example.com", phone="312-555-0100")
    Client().post(
        f"/{org_a.slug}/forms/news/",
        visitor(first_name="Camille", phone="312-555-0111", birthday="2015-06-01"),
    )
    profile_url = f"/app/{org_a.slug}/customers/{cam.pk}/"
    page = alice_client.get(profile_url).text
    assert "Form responses" in page and "Camille" in page and "312-555-0111" in page
    with tenant(org_a):
        phone = PendingChange.objects.get(customer=cam, field="phone")
        name = PendingChange.objects.get(customer=cam, field="first_name")
    box = alice_client.post(f"{profile_url}form-responses/{phone.pk}/accept/", HTTP_HX_REQUEST="true")
    assert box.status_code == 200 and "312-555-0111" not in box.text and "Camille" in box.text
    box = alice_client.post(f"{profile_url}form-responses/{name.pk}/reject/", HTTP_HX_REQUEST="true")
    assert "Camille" not in box.text
    with tenant(org_a):
        cam.refresh_from_db()
        assert cam.phone == "312-555-0111" and cam.first_name == "Cam"
        phone.refresh_from_db()
        name.refresh_from_db()
        assert (phone.status, name.status) == (PendingChange.Status.ACCEPTED, PendingChange.Status.REJECTED)
        accepted, rejected = Activity.objects.filter(customer=cam, actor__isnull=False).order_by("id")
        assert accepted.changes == {"phone": ["312-555-0100", "312-555-0111"]}
        assert "Accepted" in accepted.detail and "Rejected" in rejected.detail
    assert "Form responses" not in alice_client.get(profile_url).text  # nothing left to review
    # A decided answer cannot be applied again.
    again = alice_client.post(f"{profile_url}form-responses/{name.pk}/accept/")
    assert again.status_code == 302
    with tenant(org_a):
        cam.refresh_from_db()
        assert cam.first_name == "Cam"


def test_form_responses_check_csrf_permission_and_ownership(
    alice_client, bob_client, org_a, org_b, consent_form
):
    with tenant(org_a):
        cam = customer(first_name="Cam", last_name="Per", email="cam@example.com", phone="312-555-0100")
    Client().post(f"/{org_a.slug}/forms/news/", visitor(phone="312-555-0111"))
    with tenant(org_a):
        change = PendingChange.objects.get(customer=cam)
    accept = f"/app/{org_a.slug}/customers/{cam.pk}/form-responses/{change.pk}/accept/"
    assert bob_client.post(accept).status_code == 404  # not a member of Alpha
    with tenant(org_b):
        stranger = customer(first_name="Bea", last_name="Beta")
    other = f"/app/{org_b.slug}/customers/{stranger.pk}/form-responses/{change.pk}/accept/"
    assert bob_client.post(other).status_code == 404  # Alpha's answer through Beta's URL
    assert alice_client.get(accept).status_code == 405
    owner = Client(enforce_csrf_checks=True)
    owner.cookies = alice_client.cookies
    assert owner.post(accept).status_code == 403  # no CSRF token
    with tenant(org_a):
        change.refresh_from_db()
        cam.refresh_from_db()
        assert change.status == PendingChange.Status.PENDING and cam.phone == "312-555-0100"
