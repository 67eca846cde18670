"""The architecture's migrations on a database that has data: an event's note becomes its subject id, and
intake forms with their pending answers move from customers to the intake app, account invites and their
settings from the portal to the invites app, both ways, rows kept; payments get their purchase's package and
payer."""

import os
import subprocess
import sys
from datetime import timedelta

import psycopg
import pytest
from django.utils import timezone

from accounts.tenancy import tenant
from billing import services as billing_services
from billing.models import Package, Payment, PunchCard, Purchase
from customers.models import Activity, Customer
from intake import services as intake_services
from intake.models import IntakeForm, PendingChange
from invites import claim_services
from invites.models import ClaimInvite, InviteSettings
from notes.models import NoteEvent
from notes.services import note_add
from tests.conftest import BASE_DIR
from tests.factories import customer


def migrate(*target: str) -> None:
    """Migrate as the owner role; the session's first migrate ran the system checks."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", *target, "--noinput", "--verbosity=0", "--skip-checks"],
        cwd=BASE_DIR,
        env={**os.environ, "DATABASE_URL": os.environ["DATABASE_OWNER_URL"]},
        check=True,
    )


def owner_query(organization, query: str) -> list[tuple]:
    with psycopg.connect(os.environ["DATABASE_OWNER_URL"]) as conn:
        conn.execute("SELECT set_config('app.org_id', %s, false)", [str(organization.pk)])
        return conn.execute(query).fetchall()


@pytest.mark.django_db(transaction=True)
def test_rows_survive_the_moves_back_and_forth(org_a, alice):
    with tenant(org_a):
        jane = customer(first_name="Jane", email="jane@alpha.example", phone="312-555-0100", by=alice)
        note = note_add(customer=jane, text="Allergic to peanuts", visibility="staff", pinned=False, by=alice)
        intake = intake_services.intake_form_save(
            intake=IntakeForm(
                title="Camp",
                slug="camp",
                fields=[{"name": name, "required": True} for name in ("first_name", "last_name", "email")]
                + [{"name": "phone", "required": False}],
            ),
            by=alice,
        )
        intake_services.intake_submit(
            intake=intake,
            data={
                "first_name": "Jane",
                "last_name": "Doe",
                "email": "jane@alpha.example",
                "phone": "312-555-0199",
            },
        )
    try:
        migrate("intake", "zero")
        migrate("customers", "0014_activity_detail_text")
        assert owner_query(org_a, "SELECT note_id FROM customers_activity WHERE kind = 'note'") == [
            (note.pk,)
        ]
        assert owner_query(org_a, "SELECT title FROM customers_intakeform") == [("Camp",)]
        assert owner_query(org_a, "SELECT field, status FROM customers_pendingchange") == [
            ("phone", "pending")
        ]
        no_flag = "SELECT 1 FROM information_schema.columns WHERE column_name = 'do_not_solicit'"
        assert owner_query(org_a, no_flag) == []
    finally:
        migrate()
    with tenant(org_a):
        assert list(Activity.objects.filter(kind=NoteEvent.NOTE).values_list("subject_id", flat=True)) == [
            note.pk
        ]
        assert Customer.objects.get(pk=jane.pk).do_not_solicit is False  # the flag arrives off
        assert IntakeForm.objects.get().title == "Camp"
        change = PendingChange.objects.get()
        assert (change.customer_id, change.intake_id, change.proposed) == (jane.pk, intake.pk, "312-555-0199")


@pytest.mark.django_db(transaction=True)
def test_account_invites_survive_their_move_to_the_invites_app_and_back(org_a, org_b, alice):
    with tenant(org_a):
        jane = customer(first_name="Jane", email="jane@alpha.example", by=alice)
        sent_at = timezone.now()
        invite = ClaimInvite.objects.create(
            customer=jane, email=jane.email, sent_at=sent_at, expires_at=sent_at + timedelta(days=3)
        )
        claim_services.invite_settings_save(
            settings=InviteSettings(subject="Claim {{ first_name }}", expiry_hours=24), by=alice
        )
    tables = ("portal_claiminvite", "portal_invitesettings")
    policies = "SELECT tablename, policyname FROM pg_policies WHERE tablename LIKE 'portal_%' ORDER BY 1, 2"
    before = owner_query(org_a, policies)
    assert {table for table, _ in before} >= set(tables)
    try:
        migrate("invites", "zero")
        migrate("portal", "0003_signup_request")
        assert owner_query(org_a, "SELECT customer_id, email FROM portal_claiminvite") == [
            (jane.pk, "jane@alpha.example")
        ]
        assert owner_query(org_a, "SELECT subject, expiry_hours FROM portal_invitesettings") == [
            ("Claim {{ first_name }}", 24)
        ]
    finally:
        migrate()
    assert owner_query(org_a, policies) == before  # row security and its policies untouched
    with tenant(org_a):
        moved = ClaimInvite.objects.select_related("customer").get()
        assert (moved.pk, moved.customer, moved.sent_at) == (invite.pk, jane, sent_at)
        assert InviteSettings.objects.get().subject == "Claim {{ first_name }}"
    with tenant(org_b):  # the application's filter lifted, PostgreSQL's row security still hides them
        assert ClaimInvite.objects.unscoped().count() == 0
        assert InviteSettings.objects.unscoped().count() == 0
    for table in tables:
        assert owner_query(org_b, f"SELECT count(*) FROM {table}") == [(0,)]  # noqa: S608


@pytest.mark.django_db(transaction=True)
def test_payments_made_before_they_carried_package_and_payer_get_them_and_refunded_spots_are_given_back(
    org_a, org_b, alice, bob
):
    sales = {}
    for organization, by in ((org_a, alice), (org_b, bob)):
        with tenant(organization):
            package = billing_services.package_save(
                package=Package(name="Party", price=20000, currency="USD"), by=by
            )
            pat = customer(first_name="Pat", by=by)
            billing_services.sale_record(package=package, customer=pat, payer=pat, method="cash", by=by)
            sales[organization.pk] = (package.pk, pat.pk)
            refunded = billing_services.sale_record(
                package=package, customer=pat, payer=pat, method="cash", by=by
            )
            billing_services.payment_refund(
                payment=refunded.payments.get(), amount=20000, reason="Ill", by=by
            )
    try:
        migrate("billing", "0006_saved_cards_and_pending_events")
    finally:
        migrate()
    for organization in (org_a, org_b):
        with tenant(organization):
            assert set(Payment.objects.values_list("package_id", "payer_id")) == {sales[organization.pk]}
            # A spot refunded in full before capacity counted spots is given back (billing 0013).
            assert Purchase.objects.filter(released_at=None).count() == 1


@pytest.mark.django_db(transaction=True)
def test_class_passes_sold_before_punch_cards_get_theirs(org_a, org_b, alice, bob):
    sold = {}
    for organization, by in ((org_a, alice), (org_b, bob)):
        with tenant(organization):
            ten = billing_services.package_save(
                package=Package(name="Ten visits", kind="class_pass", visits=10, price=9000, currency="USD"),
                by=by,
            )
            party = billing_services.package_save(
                package=Package(name="Party", price=20000, currency="USD"), by=by
            )
            pat = customer(first_name="Pat", by=by)
            purchase = billing_services.sale_record(
                package=ten, customer=pat, payer=pat, method="cash", by=by
            )
            billing_services.sale_record(package=party, customer=pat, payer=pat, method="cash", by=by)
            sold[organization.pk] = (purchase.pk, pat.pk)
    try:
        migrate("billing", "0008_credit_ledger")
    finally:
        migrate()
    for organization in (org_a, org_b):
        with tenant(organization):
            cards = PunchCard.objects.values_list("purchase_id", "holder_id", "visits", "used", "valid_until")
            assert list(cards) == [(*sold[organization.pk], 10, 0, None)]
