"""Customer accounts that prove their address: sign-ups confirmed from the inbox, email changes confirmed from
the new address, neutral answers that name no one, throttles, the claim email's escaping and what the family
list shows. Emails go through a real worker and SMTP server."""

import itertools
import re
from email.header import decode_header, make_header

import pytest
from django.test import Client

from accounts.tenancy import tenant
from customers.models import Customer
from families import services as family_services
from families.models import GuardianLink, Relationship
from portal.models import InviteSettings
from tests.conftest import logged_in, make_user
from tests.factories import customer
from tests.test_required_fields import save_grid


def comparable(text: str) -> str:
    """A page without what differs on every response (CSRF tokens, CSP nonces)."""
    return re.sub(r'(value|nonce)="[^"]+"|"X-CSRFToken": "\w+"', "", text)


_visitors = itertools.count(1)


def visitor() -> Client:
    """An anonymous browser from an address of its own, so throttles counted in other tests never apply."""
    number = next(_visitors)
    return Client(REMOTE_ADDR=f"203.0.{113 + number // 250}.{number % 250 + 1}")


def email_text(message) -> str:
    part = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode()


def emailed_path(message, pattern: str) -> str:
    """The path of the first link in the email's text matching `pattern` (a regular expression)."""
    return re.search(rf"https?://[^/\s]+({pattern})", email_text(message)).group(1)


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
