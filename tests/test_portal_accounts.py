"""Customer accounts that prove their address: sign-ups confirmed from the inbox, email changes confirmed from
the new address, neutral answers that name no one, throttles, the claim email's escaping and what the family
list shows. Emails go through a real worker and SMTP server."""

import re
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from django.test import Client
from django.utils import timezone

from accounts import tasks as account_tasks
from accounts.models import User
from accounts.tenancy import tenant
from customers.models import Activity, Customer
from families import services as family_services
from families.models import GuardianLink, Relationship
from invites.models import InviteSettings
from portal import tasks as portal_tasks
from portal.models import SignupRequest
from tests.conftest import logged_in, make_user
from tests.factories import customer
from tests.inbox import comparable, email_text, emailed_path
from tests.test_required_fields import SIGNUP, save_grid

CHILD = {
    "child-TOTAL_FORMS": "2",
    "child-INITIAL_FORMS": "0",
    "child-0-first_name": "Vik",
    "child-0-last_name": "",
    "child-0-birthday": "2019-04-05",
    "child-1-first_name": "",
    "child-1-last_name": "",
    "child-1-birthday": "",
}


def portal_login(org, email="pat@example.com", **fields):
    """A customer of `org` with their own login, signed in."""
    user = make_user(email)
    with tenant(org):
        person = customer(first_name="Pat", last_name="Lee", email=email, phone="312-555-0100", **fields)
        Customer.objects.filter(pk=person.pk).update(user=user)
    return logged_in(user), person


# Name disclosure ------------------------------------------------------------------------------------------


def test_portal_and_guardian_forms_never_name_whose_detail_it_is(alice_client, org_a, org_b):
    save_grid(alice_client, org_a, number__online_booking="optional")
    client, pat = portal_login(org_a)
    with tenant(org_a):
        customer(first_name="Secretive", last_name="Sam", number="VIP-7")
        kid = customer(first_name="Kim", last_name="Lee")
        family_services.link_add(guardian=pat, dependant=kid, relationship=Relationship.PARENT, by=None)
    own = client.post(
        f"/{org_a.slug}/account/",
        {"first_name": "Pat", "last_name": "Lee", "phone": "312-555-0100", "number": "vip-7"},
    )
    theirs = client.post(
        f"/{org_a.slug}/account/family/{kid.pk}/",
        {"first_name": "Kim", "last_name": "Lee", "phone": "312-555-0101", "number": "VIP-7"},
    )
    for response in (own, theirs):
        assert response.status_code == 200
        assert "This customer number cannot be used here" in response.text
        assert "Secretive" not in response.text and "/customers/" not in response.text
    # Staff still get the name and a link to the record.
    staff_page = alice_client.post(
        f"/app/{org_a.slug}/customers/new/", {"first_name": "New", "last_name": "One", "number": "VIP-7"}
    ).text
    assert "Secretive Sam" in staff_page and f"/app/{org_a.slug}/customers/" in staff_page


# The family list ------------------------------------------------------------------------------------------


def test_family_list_shows_details_only_as_permissions_allow_and_hides_archived_dependants(org_a, org_b):
    client, pat = portal_login(org_a)
    with tenant(org_a):
        seen = customer(first_name="Seen", last_name="Lee", birthday="2015-03-04")
        unseen = customer(first_name="Unseen", last_name="Lee", birthday="2016-03-04")
        gone = customer(first_name="Gone", last_name="Lee", birthday="2017-03-04")
        other = customer(first_name="Otto", last_name="Other")
        for child in (seen, unseen, gone):
            family_services.link_add(guardian=pat, dependant=child, relationship=Relationship.PARENT, by=None)
        family_services.link_add(guardian=other, dependant=unseen, relationship=Relationship.PARENT, by=None)
        GuardianLink.objects.filter(guardian=pat, dependant=unseen).update(permissions=["book"])
        Customer.objects.filter(pk=gone.pk).update(archived_at=gone.created_at)
    page = client.get(f"/{org_a.slug}/account/family/").text
    assert "Seen Lee" in page and f"/account/family/{seen.pk}/" in page
    assert "Unseen Lee" in page and f"/account/family/{unseen.pk}/" not in page
    unseen_row = page.split("Unseen Lee", 1)[1].split("</li>", 1)[0]
    assert "age" not in unseen_row and "Otto" not in unseen_row  # no age, no co-guardians
    assert "Gone Lee" not in page
    assert client.get(f"/{org_a.slug}/account/family/{gone.pk}/").status_code == 404
    assert client.get(f"/{org_b.slug}/account/family/").status_code == 404  # no account there


# The claim email ------------------------------------------------------------------------------------------


def email_parts(message) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in message.walk()
        if not part.is_multipart()
    }


@pytest.mark.django_db(transaction=True)
def test_claim_email_never_links_what_the_customer_typed_and_keeps_a_one_line_subject(
    celery_worker, smtp_server, alice_client, org_a, org_b
):
    with tenant(org_a):
        prankster = customer(first_name="http://evil.example/win", email="prank@example.com")
        InviteSettings.objects.update_or_create(
            defaults={"subject": "Hello {{ first_name }}\nBcc: victim@example.com"}
        )
    assert alice_client.post(f"/app/{org_a.slug}/customers/{prankster.pk}/invite/").status_code == 302
    message = smtp_server.wait_for("prank@example.com")
    subject = str(make_header(decode_header(message["Subject"])))
    assert subject.startswith("Hello http") and subject.endswith("Bcc: victim@example.com")
    assert "\n" not in subject and message["Bcc"] is None
    parts = email_parts(message)
    assert "http://evil.example" not in parts["text/plain"]
    html = parts.get("text/html", "")
    assert 'href="http://evil' not in html and "http://evil.example" not in html
    assert re.search(rf'href="https?://[^"]+/{org_a.slug}/claim/[\w-]+/"', html)  # the claim link is a link

    settings_page = f"/app/{org_a.slug}/settings/invites/"
    refused = alice_client.post(
        settings_page,
        {
            "subject": "Hi\r\nthere",
            "body": "Claim: {{ link }}",
            "expiry_hours": 24,
            "remind_after_days": 3,
            "max_reminders": 1,
        },
    )
    assert refused.status_code == 200 and "The subject must fit on one line." in refused.text


# Online sign-up ------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_online_signup_makes_the_account_and_children_only_from_the_emailed_link(
    celery_worker, smtp_server, client, org_a, org_b
):
    data = SIGNUP | CHILD | {"email": "Vera.New@Example.com"}
    sent = client.post(f"/{org_a.slug}/signup/booking/", data)
    assert "Check your email" in sent.text and "vera.new@example.com" in sent.text
    assert client.get(f"/{org_a.slug}/account/").status_code == 302  # not signed in
    assert not User.objects.filter(email="vera.new@example.com").exists()
    with tenant(org_a):
        assert not Customer.objects.exists()  # nothing on the roster to match on yet

    message = smtp_server.wait_for("vera.new@example.com")
    assert "Vera" not in email_text(message)  # what the visitor typed is not mailed to the address
    path = emailed_path(message, rf"/{org_a.slug}/signup/confirm/[\w-]+/")
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert Client().post(f"/{org_b.slug}/signup/confirm/{token}/").status_code == 404  # other organization
    assert Client().post(f"/{org_a.slug}/signup/confirm/{token[:-3]}abc/").status_code == 404  # bad token
    page = client.get(path)
    assert "Confirm and sign in" in page.text
    with tenant(org_a):
        assert not Customer.objects.exists()  # a mail scanner opening the link makes nothing
    hijack = client.post(path, {"password": "whoever-signed-up-as-vera"})  # the inbox alone is not enough
    assert "not the password chosen when signing up" in hijack.text
    with tenant(org_a):
        assert not Customer.objects.exists()
    response = client.post(path, {"password": SIGNUP["password1"]})
    assert response.status_code == 302 and response["Location"] == f"/{org_a.slug}/account/"
    assert "Welcome, Vera!" in client.get(response["Location"]).text
    user = User.objects.get(email="vera.new@example.com")
    assert user.email_verified_at is not None and user.check_password(SIGNUP["password1"])
    with tenant(org_a):
        vera = Customer.objects.get(email="vera.new@example.com")
        assert (vera.user, vera.source, vera.phone) == (user, "online_booking", "312-555-0142")
        vik = GuardianLink.objects.get(guardian=vera).dependant
        assert (vik.first_name, vik.last_name, str(vik.birthday)) == ("Vik", "Visitor", "2019-04-05")
        assert GuardianLink.objects.get(guardian=vera).is_primary
        assert not SignupRequest.objects.exists()
    with tenant(org_b):
        assert not Customer.objects.exists()
    assert "Vik Visitor" in client.get(f"/{org_a.slug}/account/family/").text
    assert Client().post(path).status_code == 404  # used once


@pytest.mark.django_db(transaction=True)
def test_online_signup_answers_alike_and_only_the_email_says_what_exists(
    celery_worker, smtp_server, client, alice_client, org_a, org_b, bob
):
    with tenant(org_a):
        staff_made = customer(first_name="Secret", last_name="Sam", email="on.file@example.com")
    pages = {}
    for email in ("bob@beta.example", "on.file@example.com", "brand.new@example.com"):
        response = client.post(f"/{org_a.slug}/signup/store/", SIGNUP | {"email": email})
        pages[email] = comparable(response.text).replace(email, "")
    assert len(set(pages.values())) == 1 and "Secret" not in pages["on.file@example.com"]

    notice = email_text(smtp_server.wait_for("bob@beta.example"))
    assert (
        "You already have a login with this address" in notice and f"%2F{org_a.slug}%2Faccount%2F" in notice
    )
    claim = smtp_server.wait_for("on.file@example.com")
    assert claim["Subject"] == f"Your account with {org_a.name}"  # a claim invitation proves the address
    assert "/signup/confirm/" in email_text(smtp_server.wait_for("brand.new@example.com"))
    assert User.objects.get(email="bob@beta.example").last_name == "Brandt"  # the login is untouched
    assert not User.objects.filter(email__in=["on.file@example.com", "brand.new@example.com"]).exists()
    with tenant(org_a):
        staff_made.refresh_from_db()
        assert (staff_made.first_name, staff_made.user) == ("Secret", None)
        assert Customer.objects.count() == 1


def test_online_signup_is_throttled_per_visitor_and_per_address(client, org_a, org_b):
    url = f"/{org_a.slug}/signup/booking/"
    for number in range(10):
        assert client.post(url, SIGNUP | {"email": f"v{number}@example.com"}).status_code == 200
    refused = client.post(url, SIGNUP | {"email": "v10@example.com"})
    assert refused.status_code == 429 and "Too many sign-ups" in refused.text
    for number in range(5):
        other = Client(REMOTE_ADDR=f"198.51.100.{number + 20}")
        assert "Check your email" in other.post(url, SIGNUP | {"email": "target@example.com"}).text
    with tenant(org_a):
        assert SignupRequest.objects.filter(email="target@example.com").count() == 3
    # Counters belong to the organization: the other one's page still answers.
    assert client.post(f"/{org_b.slug}/signup/booking/", SIGNUP).status_code == 200


# Email changes in the portal --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_customer_changes_their_email_only_from_the_new_address(celery_worker, smtp_server, org_a, org_b):
    client, pat = portal_login(org_a, email="pat.old@example.com")
    details = {
        "first_name": "Pat",
        "last_name": "Lee",
        "phone": "312-555-0100",
        "email": "hijack@example.com",
    }
    assert client.post(f"/{org_a.slug}/account/", details).status_code == 302
    with tenant(org_a):
        assert Customer.objects.get(pk=pat.pk).email == "pat.old@example.com"  # not a plain field

    response = client.post(f"/{org_a.slug}/account/email/", {"email": "Pat.New@Example.com"}, follow=True)
    assert "We sent a link to pat.new@example.com" in response.text
    path = emailed_path(
        smtp_server.wait_for("pat.new@example.com"), rf"/{org_a.slug}/account/email/confirm/\S+/"
    )
    with tenant(org_a):
        assert Customer.objects.get(pk=pat.pk).email == "pat.old@example.com"  # not before it is confirmed
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert Client().post(f"/{org_b.slug}/account/email/confirm/{token}/").status_code == 404  # other org
    assert Client().post(f"/{org_a.slug}/account/email/confirm/{token[:-2]}zz/").status_code == 404  # forged
    assert "Confirm the new address" in Client().get(path).text
    done = Client().post(path)
    assert done.status_code == 200 and "Your email address is changed" in done.text
    with tenant(org_a):
        assert Customer.objects.get(pk=pat.pk).email == "pat.new@example.com"
        assert Activity.objects.filter(
            customer=pat, detail__contains="confirmed from the new address"
        ).exists()
    assert User.objects.filter(email="pat.new@example.com").exists()  # their login follows
    assert not User.objects.filter(email="pat.old@example.com").exists()
    assert Client().post(path).status_code == 404  # used once


@pytest.mark.django_db(transaction=True)
def test_a_guardian_changes_a_dependants_email_only_when_confirmed_and_never_a_taken_one(
    celery_worker, smtp_server, org_a, org_b
):
    client, pat = portal_login(org_a, email="guardian@example.com")
    with tenant(org_a):
        kid = customer(first_name="Kim", last_name="Lee")
        family_services.link_add(guardian=pat, dependant=kid, relationship=Relationship.PARENT, by=None)
        viewer_only = customer(first_name="Vi", last_name="Lee")
        family_services.link_add(
            guardian=pat, dependant=viewer_only, relationship=Relationship.OTHER, by=None
        )
        customer(first_name="Taken", last_name="Person", email="taken@example.com")
    assert (
        client.post(
            f"/{org_a.slug}/account/family/{viewer_only.pk}/email/", {"email": "x@example.com"}
        ).status_code
        == 403
    )

    client.post(f"/{org_a.slug}/account/family/{kid.pk}/email/", {"email": "kim@example.com"})
    path = emailed_path(smtp_server.wait_for("kim@example.com"), rf"/{org_a.slug}/account/email/confirm/\S+/")
    assert "Your email address is changed" in Client().post(path).text
    with tenant(org_a):
        assert Customer.objects.get(pk=kid.pk).email == "kim@example.com"

    client.post(f"/{org_a.slug}/account/family/{kid.pk}/email/", {"email": "taken@example.com"})
    path = emailed_path(
        smtp_server.wait_for("taken@example.com"), rf"/{org_a.slug}/account/email/confirm/\S+/"
    )
    refused = Client().post(path)
    assert (
        refused.status_code == 404
        and "already in use with us" in refused.text
        and "Taken" not in refused.text
    )
    with tenant(org_a):
        assert Customer.objects.get(pk=kid.pk).email == "kim@example.com"


# A login from elsewhere joins this business ----------------------------------------------------------------


def test_a_customer_of_another_business_joins_with_their_login_and_never_another_address(org_a, org_b):
    client, pat = portal_login(org_b, email="pat@example.com")
    response = client.get(f"/{org_a.slug}/account/")
    assert response["Location"] == f"/{org_a.slug}/signup/booking/"
    page = client.get(response["Location"])
    assert "Join Canary Alpha Fun Center" in page.text and "password1" not in page.text
    joined = client.post(
        f"/{org_a.slug}/signup/booking/",
        SIGNUP | {"email": "someone.else@example.com", "first_name": "Patricia", "last_name": "Lee"},
    )
    assert joined["Location"] == f"/{org_a.slug}/account/"
    with tenant(org_a):
        here = Customer.objects.get()
        assert (here.email, here.first_name, here.user.email) == (
            "pat@example.com",
            "Patricia",
            "pat@example.com",
        )
        assert here.source == "online_booking"
    assert client.get(f"/{org_a.slug}/signup/booking/")["Location"] == f"/{org_a.slug}/account/"
    with tenant(org_b):
        assert Customer.objects.get(pk=pat.pk).first_name == "Pat"  # the other business's entry untouched


def test_joining_links_the_entry_staff_made_for_that_address(org_a, org_b):
    client, _ = portal_login(org_b, email="pat@example.com")
    with tenant(org_a):
        on_file = customer(first_name="Pat", last_name="Onfile", email="pat@example.com")
    client.post(f"/{org_a.slug}/signup/booking/", SIGNUP | {"first_name": "Mallory", "last_name": "X"})
    with tenant(org_a):
        linked = Customer.objects.get()
        assert (linked.pk, linked.first_name, linked.user.email) == (on_file.pk, "Pat", "pat@example.com")


# What nobody confirmed is forgotten -----------------------------------------------------------------------


def test_expired_sign_ups_and_week_old_unconfirmed_logins_are_deleted_and_nothing_else(org_a, org_b):
    now = timezone.now()
    for organization, email in ((org_a, "gone@example.com"), (org_b, "also.gone@example.com")):
        with tenant(organization):
            SignupRequest.objects.create(
                email=email,
                channel="online_booking",
                password="x",
                details={},
                expires_at=now - timedelta(hours=1),
            )
    with tenant(org_a):
        waiting = SignupRequest.objects.create(
            email="waiting@example.com",
            channel="online_booking",
            password="x",
            details={},
            expires_at=now + timedelta(hours=1),
        )
    stale = User.objects.create(email="stale@example.com", date_joined=now - timedelta(days=8))
    fresh = User.objects.create(email="fresh@example.com", date_joined=now - timedelta(days=1))
    confirmed_long_ago = make_user("old.friend@example.com")
    User.objects.filter(pk=confirmed_long_ago.pk).update(date_joined=now - timedelta(days=400))

    portal_tasks.signups_expired_delete()
    account_tasks.unconfirmed_logins_delete()

    for organization in (org_a, org_b):
        with tenant(organization):
            assert not SignupRequest.objects.exclude(pk=waiting.pk).exists()
    with tenant(org_a):
        assert SignupRequest.objects.filter(pk=waiting.pk).exists()
    assert not User.objects.filter(pk=stale.pk).exists()
    assert User.objects.filter(pk__in=[fresh.pk, confirmed_long_ago.pk]).count() == 2
