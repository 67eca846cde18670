"""One email rule for every entrance: the staff form, the importer, sign-up, log-in and staff invitations
accept and refuse the same addresses, internationalized local parts (müller@example.de, on the demo roster)
included, and no email input lets the browser refuse what the rule accepts."""

import re

import pytest
from django.utils import timezone

from accounts.models import StaffInvitation, User
from accounts.tenancy import tenant
from customers.models import Customer
from imports.models import ImportIssue
from tests.conftest import PASSWORD
from tests.import_helpers import confirm, upload, work
from tests.inbox import visitor

ACCEPTED = [
    "müller@example.de",
    "ana+club@example.com",
    "jose@bücher.de",
    "chloé.dupont@example.fr",
    "李@example.cn",
]
REFUSED = [
    "ana@example",
    "ana lee@example.com",
    "ana@@example.com",
    "müller @example.de",
    "ana«x»@example.com",
]


@pytest.mark.parametrize(
    ("email", "valid"), [(email, True) for email in ACCEPTED] + [(e, False) for e in REFUSED]
)
def test_the_staff_form_and_the_importer_agree_on_every_email(alice_client, org_a, alice, email, valid):
    page = alice_client.post(
        "/app/alpha/customers/new/", {"first_name": "Ana", "last_name": "Lee", "email": email}
    )
    with tenant(org_a):
        assert Customer.objects.filter(email=email.lower()).exists() is valid, page.text[:300]
        Customer.objects.all().delete()
    job = confirm(org_a, work(org_a, upload(org_a, alice, f"First name,Last name,Email\nAna,Lee,{email}\n")))
    with tenant(org_a):
        problems = list(ImportIssue.objects.filter(job=job).values_list("column", "message"))
    assert (job.to_create, problems == []) == (int(valid), valid), problems


@pytest.mark.parametrize(
    ("email", "valid"), [(email, True) for email in ACCEPTED] + [(e, False) for e in REFUSED]
)
def test_sign_up_log_in_and_staff_invitations_follow_the_same_rule(alice_client, org_a, email, valid):
    signup = {"first_name": "Ana", "last_name": "Lee", "password1": PASSWORD, "password2": PASSWORD}
    page = visitor().post("/accounts/signup/", signup | {"email": email})
    assert User.objects.filter(email=email.lower()).exists() is valid, page.text[:300]
    if valid:
        User.objects.filter(email=email.lower()).update(email_verified_at=timezone.now())
        login = visitor().post("/accounts/login/", {"username": email, "password": PASSWORD})
        assert login.status_code == 302, login.text[:300]
    alice_client.post(f"/app/{org_a.slug}/settings/staff/", {"email": email, "role": "staff"})
    with tenant(org_a):
        assert StaffInvitation.objects.filter(email=email.lower()).exists() is valid


def test_email_inputs_let_the_browser_send_what_the_rule_accepts(alice_client, org_a):
    """`type=email` would have Chromium refuse müller@… itself (HTML allows only ASCII before the @)."""
    for page in (
        visitor().get("/accounts/signup/"),
        visitor().get("/accounts/login/"),
        alice_client.get(f"/app/{org_a.slug}/customers/new/"),
        alice_client.get(f"/app/{org_a.slug}/settings/staff/"),
    ):
        assert 'type="email"' not in page.text
        assert re.search(r'<input type="text" name="(email|username)"[^>]* inputmode="email"', page.text)
