"""One email rule for every entrance: the staff form and the importer accept and refuse the same addresses,
internationalized local parts (müller@example.de, on the demo roster) included."""

import pytest

from accounts.tenancy import tenant
from customers.models import Customer
from imports.models import ImportIssue
from tests.import_helpers import confirm, upload, work

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
