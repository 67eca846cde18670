"""The credit ledger: staff issue credit on the profile's Credit tab, the customer spends it at the desk, a
refund of what credit paid goes back to credit, a line is corrected once by a reversing line, credit past its
date expires (oldest-expiring spent first), and the database keeps the ledger append-only and never below
zero, even with ten spends at once."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.tenancy import tenant
from billing import credit_services, services, tasks
from billing.credit import CreditError, balance_of
from billing.demo import demo_credit, demo_erase, demo_packages
from billing.models import CreditAudit, CreditEntry, CreditEvent, CreditKind, Package, Payment
from customers.models import Activity, Customer
from customers.services import customer_delete
from tests.conftest import logged_in, make_user
from tests.factories import customer
from tests.inbox import csv_rows


@pytest.fixture
def desk(org_a, org_b, alice):
    """Alpha sells a drop-in; Pat is a customer of Alpha."""
    with tenant(org_a):
        drop_in = services.package_save(package=Package(name="Drop-in", price=1000, currency="USD"), by=alice)
        pat = customer(first_name="Pat", last_name="Parent", email="pat@alpha.example", by=alice)
    return {"drop_in": drop_in, "pat": pat}


def credit_url(org, person) -> str:
    return f"/app/{org.slug}/customers/{person.pk}/credit/"


def issue(org, person, amount=2500, kind=CreditKind.GIFT, reason="Birthday", expires_on=None, by=None):
    with tenant(org):
        return credit_services.credit_issue(
            customer=person, amount=amount, kind=kind, reason=reason, expires_on=expires_on, by=by
        )


def test_staff_issue_credit_and_the_profile_shows_balance_and_history(carol_client, org_a, desk, carol):
    pat = desk["pat"]
    empty = carol_client.get(credit_url(org_a, pat)).text
    assert "No credit yet. Issue credit above" in empty and "$0.00" in empty
    next_month = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = carol_client.post(
        credit_url(org_a, pat) + "issue/",
        {"amount": "25.00", "kind": "gift", "reason": "  Birthday   gift ", "expires_on": next_month},
        follow=True,
    )
    assert "+$25.00 of credit issued to Pat Parent." in response.text
    page = carol_client.get(credit_url(org_a, pat)).text
    assert "Birthday gift" in page and "+$25.00" in page and "Gift" in page and carol.display_name in page
    assert "Correct…" not in page  # staff issue, admins correct
    profile = carol_client.get(f"/app/{org_a.slug}/customers/{pat.pk}/").text
    assert "credit-box" in profile and "$25.00" in profile
    with tenant(org_a):
        line = CreditEntry.objects.get()
        assert (line.amount, line.currency, line.kind, line.by) == (2500, "USD", "gift", carol)
        assert Activity.objects.get(customer=pat, kind=CreditEvent.ISSUED).detail.startswith("+$25.00 gift")
        assert AuditEvent.objects.get(action=CreditAudit.ISSUED).target == "Pat Parent"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"amount": ""}, "This field is required."),
        ({"amount": "0"}, "Issue more than nothing."),
        ({"amount": "-5"}, "Issue more than nothing."),
        ({"amount": "1.234"}, "Use at most two decimals, e.g. 25.50."),
        ({"amount": "lots"}, "Enter an amount, e.g. 25.00."),
        ({"reason": "   "}, "This field is required."),
        ({"kind": "spent"}, "Select a valid choice."),
        ({"expires_on": "2020-01-01"}, "Credit has to expire after today."),
        ({"expires_on": "31/02/2027"}, "Enter a valid date."),
    ],
)
def test_bad_credit_is_refused_beside_its_field_and_nothing_is_written(
    alice_client, org_a, desk, fields, message
):
    data = {"amount": "10", "kind": "goodwill", "reason": "Late start"} | fields
    response = alice_client.post(credit_url(org_a, desk["pat"]) + "issue/", data)
    assert response.status_code == 422 and message in response.text
    with tenant(org_a):
        assert not CreditEntry.objects.exists()


def test_credit_pays_a_sale_and_a_short_balance_is_refused(alice_client, org_a, desk, alice):
    pat = desk["pat"]
    tab = f"/app/{org_a.slug}/customers/{pat.pk}/payments/"
    assert "Credit balance" not in alice_client.get(tab).text  # offered only with a balance
    issue(org_a, pat, amount=1500, by=alice)
    assert "Credit balance ($15.00 available)" in alice_client.get(tab).text
    sale = {"package": desk["drop_in"].pk, "for_whom": pat.pk, "method": "credit", "reference": ""}
    response = alice_client.post(tab + "sell/", sale, follow=True)
    assert "“Drop-in” sold to Pat Parent." in response.text and "Credit balance" in response.text
    with tenant(org_a):
        payment = Payment.objects.get()
        spent = CreditEntry.objects.get(kind=CreditKind.SPENT)
        assert (payment.method, payment.amount, spent.amount, spent.payment) == (
            "credit",
            1000,
            -1000,
            payment,
        )
        assert balance_of(pat) == 500
    short = alice_client.post(tab + "sell/", sale)
    assert short.status_code == 422 and "Pat has $5.00 of credit: $10.00 is more than that." in short.text
    with tenant(org_a):
        assert Payment.objects.count() == 1 and CreditEntry.objects.count() == 2


def test_a_refund_of_a_credit_payment_goes_back_to_credit(alice_client, org_a, desk, alice):
    pat = desk["pat"]
    issue(org_a, pat, amount=1000, by=alice)
    with tenant(org_a):
        purchase = services.sale_record(
            package=desk["drop_in"], customer=pat, payer=pat, method="credit", by=alice
        )
        payment = purchase.payments.get()
        assert balance_of(pat) == 0
    url = f"/app/{org_a.slug}/customers/{pat.pk}/payments/{payment.pk}/refund/"
    alice_client.post(url, {"amount": "4.00", "reason": "Closed early"})
    with tenant(org_a):
        back = CreditEntry.objects.get(kind=CreditKind.REFUND)
        assert (back.amount, back.payment, back.refund, back.reason) == (
            400,
            payment,
            payment.refunds.get(),
            "Closed early",
        )
        assert balance_of(pat) == 400
    assert "Refund to credit" in alice_client.get(credit_url(org_a, pat)).text


def test_admins_correct_a_line_once_and_never_below_zero(alice_client, org_a, desk, alice):
    pat = desk["pat"]
    twice = issue(org_a, pat, amount=2000, reason="Entered twice", by=alice)
    gift = issue(org_a, pat, amount=2000, by=alice)
    url = credit_url(org_a, pat) + f"{twice.pk}/correct/"
    assert "Correct the gift of" in alice_client.get(url).text
    assert alice_client.post(url, {"reason": " "}).status_code == 422
    response = alice_client.post(url, {"reason": "Issued twice"}, follow=True)
    assert "The gift line is reversed." in response.text and "Corrected" in response.text
    again = alice_client.post(url, {"reason": "Again"})
    assert again.status_code == 422 and "This line is corrected already." in again.text
    with tenant(org_a):
        correction = CreditEntry.objects.get(kind=CreditKind.CORRECTION)
        assert (correction.amount, correction.reverses) == (-2000, twice)
        assert Activity.objects.filter(customer=pat, kind=CreditEvent.CORRECTED).count() == 1
        services.sale_record(package=desk["drop_in"], customer=pat, payer=pat, method="credit", by=alice)
    spent_first = alice_client.post(credit_url(org_a, pat) + f"{gift.pk}/correct/", {"reason": "Oops"})
    assert (
        spent_first.status_code == 422
        and "Pat has $10.00 of credit: $20.00 is more than that." in spent_first.text
    )
    with tenant(org_a):
        spend = CreditEntry.objects.get(kind=CreditKind.SPENT)
        with pytest.raises(CreditError, match="refund a payment to undo a spend"):
            credit_services.credit_correct(entry=spend, reason="No", by=alice)


def test_credit_past_its_date_expires_once_oldest_expiring_spent_first(org_a, org_b, desk, alice, bob):
    pat = desk["pat"]
    tomorrow = timezone.localdate() + timedelta(days=1)
    lasting = issue(org_a, pat, amount=1000, kind=CreditKind.GOODWILL, reason="Lasting", by=alice)
    soon = issue(org_a, pat, amount=1500, reason="Soon", expires_on=tomorrow, by=alice)
    later = issue(org_a, pat, amount=500, reason="Later", expires_on=tomorrow + timedelta(days=1), by=alice)
    with tenant(org_b):
        bea = customer(first_name="Bea", by=bob)
    issue(org_b, bea, amount=700, expires_on=tomorrow, by=bob)
    with tenant(org_a):
        services.sale_record(package=desk["drop_in"], customer=pat, payer=pat, method="credit", by=alice)
    assert tasks.credit_expire_due() == 0  # nothing is past its date yet
    in_three_days = timezone.now() + timedelta(days=3)  # both dates have passed
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: in_three_days)
        assert tasks.credit_expire_due() == 3  # Pat's two lines, and Bea's in Beta
        assert tasks.credit_expire_due() == 0  # once per line
    with tenant(org_a):
        expired = {
            line.expiry_of_id: line.amount for line in CreditEntry.objects.filter(kind=CreditKind.EXPIRED)
        }
        # The $10.00 spend took the soonest-expiring credit: $5.00 of "Soon" was left, "Later" untouched.
        assert expired == {soon.pk: -500, later.pk: -500}
        assert balance_of(pat) == lasting.amount
        assert Activity.objects.filter(customer=pat, kind=CreditEvent.EXPIRED).count() == 2
    with tenant(org_b):
        assert balance_of(bea) == 0


def test_the_database_keeps_the_ledger_append_only_and_never_negative(org_a, desk, alice):
    pat = desk["pat"]
    line = issue(org_a, pat, amount=1000, by=alice)
    with tenant(org_a):
        for change in (
            lambda: CreditEntry.objects.filter(pk=line.pk).update(amount=99999),
            lambda: CreditEntry.objects.filter(pk=line.pk).update(reason="rewritten"),
            lambda: CreditEntry.objects.filter(pk=line.pk).delete(),
        ):
            with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
                change()
        with pytest.raises(IntegrityError, match="would go below zero"), transaction.atomic():
            CreditEntry.objects.create(customer=pat, amount=-1001, currency="USD", kind="spent", reason="x")
        with pytest.raises(IntegrityError), transaction.atomic():
            CreditEntry.objects.create(customer=pat, amount=500, currency="USD", kind="spent", reason="x")
        assert CreditEntry.objects.get().amount == 1000
        customer_delete(customer=pat, by=alice)  # the customer goes; the line stays for the books, unlinked
        assert CreditEntry.objects.get().customer is None


def test_the_ledger_goes_only_with_its_whole_organization(org_a, org_b, desk, alice):
    """The demo's reset (`make demo`) erases its organizations' billing first (`billing.demo.demo_erase`)."""
    line = issue(org_a, desk["pat"], amount=1000, by=alice)
    with tenant(org_a), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('roster.erasing_organization', %s, true)", [str(org_b.pk)])
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            CreditEntry.objects.filter(pk=line.pk).delete()  # another organization's erasure
        demo_erase()
        assert not CreditEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_ten_spends_at_once_of_credit_for_three_make_exactly_three(org_a, org_b, alice):
    with tenant(org_a):
        pat = customer(first_name="Pat", by=alice)
        # One package each: the package's row lock would otherwise queue the spends before the ledger does.
        packages = [
            services.package_save(package=Package(name=f"Drop-in {n}", price=1000, currency="USD"), by=alice)
            for n in range(10)
        ]
    issue(org_a, pat, amount=3000, by=alice)
    results, start = [], threading.Barrier(10)

    def spend(package):
        try:
            start.wait()
            with tenant(org_a):
                services.sale_record(package=package, customer=pat, payer=pat, method="credit", by=alice)
            results.append("sold")
        except CreditError:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=spend, args=(package,)) for package in packages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["refused"] * 7 + ["sold"] * 3
    with tenant(org_a):
        assert balance_of(pat) == 0
        assert Payment.objects.filter(method="credit").count() == 3


def test_the_roster_filters_on_credit_and_exports_the_balance(alice_client, org_a, desk, alice):
    pat = desk["pat"]
    issue(org_a, pat, amount=2500, by=alice)
    with tenant(org_a):
        stan = customer(first_name="Stan", last_name="Parent", by=alice)
    roster = f"/app/{org_a.slug}/customers/?q=parent&"
    rich = alice_client.get(roster + "credit_min=20&credit_max=30").text
    assert "Parent, Pat" in rich and "Parent, Stan" not in rich
    none = alice_client.get(roster + "credit_max=0").text
    assert "Parent, Stan" in none and "Parent, Pat" not in none
    assert "Credit balance between" in alice_client.get(roster + "filters=1").text
    export = alice_client.get(f"/app/{org_a.slug}/customers/export.csv?q=parent")
    header, *rows = csv_rows(export)
    name, balance = header.index("First name"), header.index("Credit balance")
    assert {row[name]: row[balance] for row in rows} == {
        "Pat": "$25.00",
        stan.first_name: "",
    }


def test_the_portal_shows_the_customer_their_balance(org_a, desk, alice):
    pat = desk["pat"]
    issue(org_a, pat, amount=1250, by=alice)
    with tenant(org_a):
        Customer.objects.filter(pk=pat.pk).update(user=make_user(pat.email))
        pat.refresh_from_db()
    page = logged_in(pat.user).get(f"/{org_a.slug}/account/payments/").text
    assert "Credit balance: <strong>$12.50</strong>" in page and "the online store takes cards only" in page


def test_another_organization_never_reaches_the_ledger(
    bob_client, alice_client, org_a, org_b, desk, alice, bob
):
    pat = desk["pat"]
    line = issue(org_a, pat, amount=1000, reason="canary credit", by=alice)
    with tenant(org_b):
        bea = customer(first_name="Bea", by=bob)
    for url in (
        credit_url(org_a, pat),
        credit_url(org_b, pat),
        credit_url(org_b, bea) + f"{line.pk}/correct/",
    ):
        assert bob_client.get(url).status_code == 404
    assert (
        bob_client.post(
            credit_url(org_b, pat) + "issue/", {"amount": "5", "kind": "gift", "reason": "x"}
        ).status_code
        == 404
    )
    assert bob_client.post(credit_url(org_b, bea) + f"{line.pk}/correct/", {"reason": "x"}).status_code == 404
    with tenant(org_a):
        other = customer(first_name="Other", by=alice)
    # Org A's own line under another of its customers is not found either.
    assert alice_client.get(credit_url(org_a, other) + f"{line.pk}/correct/").status_code == 404
    with tenant(org_a):
        assert CreditEntry.objects.count() == 1


def test_the_demo_gives_a_few_customers_credit_and_spends_some(org_a, alice):
    with tenant(org_a):
        demo_packages()
        people = [customer(first_name=f"Demo{n}", by=alice) for n in range(4)]
        demo_credit(people, by=alice)
        assert [balance_of(person) for person in people] == [700, 1800, 1000, 3200]
        assert CreditEntry.objects.filter(kind=CreditKind.SPENT).count() == 2
