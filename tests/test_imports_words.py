"""Roster imports' small words: one customer is "the customer", a time reads as everywhere else in the app
(22:30, where "10:30 p.m.." once stood), and a yes/no change reads Yes or No in the Activity Log."""

from datetime import datetime
from zoneinfo import ZoneInfo

from accounts.tenancy import tenant
from customers import services as customer_services
from customers.models import Customer
from imports.models import ImportJob
from tests.import_helpers import confirm, start, upload, work


def test_undoing_an_import_of_one_customer_reads_right(alice_client, org_a, alice):
    job = start(org_a, confirm(org_a, work(org_a, upload(org_a, alice, "First name,Last name\nAna,Lee\n"))))
    url = f"/app/alpha/imports/{job.pk}/"
    assert "Undo: archive the customer it added" in alice_client.get(url).text
    page = alice_client.post(f"{url}undo/", follow=True).text
    assert "1 customer this import added is archived." in page
    evening = datetime(2026, 3, 2, 22, 30, tzinfo=ZoneInfo(org_a.time_zone))
    with tenant(org_a):
        ImportJob.objects.filter(pk=job.pk).update(undone_at=evening)
    page = alice_client.get(url).text
    assert "Undone on Mar 2, 2026 22:30</span>" in page


def test_a_yes_no_change_reads_yes_or_no_in_the_activity_log(alice_client, org_a, alice):
    with tenant(org_a):
        ana = customer_services.customer_create(data={"first_name": "Ana", "last_name": "Lee"}, by=alice)
        customer_services.customer_update(customer=ana, data={"marketing_opt_in": True}, by=alice)
        assert Customer.objects.get().marketing_opt_in
    log = alice_client.get(f"/app/alpha/customers/{ana.pk}/activity/").text
    assert "<del>No</del>" in log and "→ Yes" in log
    assert "True" not in log and "False" not in log
