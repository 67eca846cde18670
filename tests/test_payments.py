"""The profile's Payments tab: staff sell a package in person (for the customer or someone they may buy for),
every payment is listed, admins refund part or all of one with a reason; capacity is never oversold; each sale
and refund is in the customers' Activity Logs and the organization's audit log."""

import csv
import io
import threading
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.tenancy import tenant
from billing import services
from billing.models import ForWhom, Package, Payment, PaymentAudit, PaymentEvent, Purchase
from customers.models import Activity, Customer
from families.services import link_add
from tests.conftest import logged_in, make_user
from tests.factories import customer
from tests.inbox import comparable


@pytest.fixture
def shop(org_a, org_b, alice):
    """Alpha sells a party with tax and a last spot, and a camp for children 5–12; Pat looks after Kim."""
    with tenant(org_a):
        party = services.package_save(
            package=Package(name="Party", price=29900, tax_rate="8.25", capacity=1, currency="USD"), by=alice
        )
        camp = services.package_save(
            package=Package(
                name="Camp", price=32500, for_whom=ForWhom.CHILD, min_age=5, max_age=12, currency="USD"
            ),
            by=alice,
        )
        pat = customer(first_name="Pat", last_name="Parent", email="pat@alpha.example", by=alice)
        kim = customer(first_name="Kim", last_name="Parent", birthday=date(2018, 5, 1), by=alice)
        link_add(guardian=pat, dependant=kim, relationship="parent", by=alice)
    return {"party": party, "camp": camp, "pat": pat, "kim": kim}


def tab(org, person) -> str:
    return f"/app/{org.slug}/customers/{person.pk}/payments/"


def sell(client, org, payer, **fields):
    data = {"method": "cash", "reference": "", "for_whom": payer.pk} | fields
    return client.post(tab(org, payer) + "sell/", data, follow=True)


def test_staff_sell_a_package_for_a_child_with_tax_and_everyone_sees_it(carol_client, org_a, shop):
    pat, kim = shop["pat"], shop["kim"]
    response = sell(
        carol_client, org_a, pat, package=shop["camp"].pk, for_whom=kim.pk, method="cheque", reference="1024"
    )
    assert "“Camp” sold to Kim Parent." in response.text
    with tenant(org_a):
        purchase = Purchase.objects.get()
        payment = purchase.payments.get()
        assert (purchase.customer, purchase.payer, purchase.total) == (kim, pat, 32500)
        assert (payment.amount, payment.method_display) == (32500, "Cheque 1024")
        for person in (pat, kim):
            event = Activity.objects.get(customer=person, kind=PaymentEvent.PURCHASE)
            assert event.detail == "“Camp” for Kim Parent · $325.00 cheque 1024, paid by Pat Parent"
        assert (
            AuditEvent.objects.get(action=PaymentAudit.SALE_RECORDED).detail
            == "Kim Parent · $325.00 cheque 1024"
        )
    for person in (pat, kim):
        page = carol_client.get(tab(org_a, person)).text
        assert "Camp" in page and "$325.00" in page and "Cheque 1024" in page and "Paid" in page
    assert "Refund…" not in carol_client.get(tab(org_a, pat)).text  # staff take payments, admins refund


def test_tax_is_added_to_the_price_rounded_half_up(alice_client, org_a, shop):
    sell(alice_client, org_a, shop["pat"], package=shop["party"].pk)
    with tenant(org_a):
        purchase = Purchase.objects.get()
    assert (purchase.price, purchase.tax, purchase.total) == (29900, 2467, 32367)
    page = alice_client.get(tab(org_a, shop["pat"])).text
    assert "incl. $24.67 tax" in page and "Paid in all <strong>$323.67</strong>" in page


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("sold_out", "“Party” is sold out."),
        ("too_old", "Pat is"),
        ("archived", "Select a valid choice."),
        ("not_theirs", "Select a valid choice."),
    ],
)
def test_a_sale_that_cannot_be_made_says_why_and_records_nothing(
    alice_client, org_a, shop, alice, case, message
):
    pat, kim = shop["pat"], shop["kim"]
    fields = {"package": shop["party"].pk}
    with tenant(org_a):
        if case == "sold_out":
            services.sale_record(package=shop["party"], customer=kim, payer=pat, method="cash", by=alice)
        if case == "too_old":
            pat.birthday = date(1990, 1, 1)
            pat.save()
            fields = {"package": shop["camp"].pk}
        if case == "archived":
            services.package_archive(package=shop["party"], by=alice)
        if case == "not_theirs":
            stranger = customer(first_name="Stan", by=alice)
            fields["for_whom"] = stranger.pk
        before = Payment.objects.count()
    response = sell(alice_client, org_a, pat, **fields)
    assert response.status_code == 422 and message in response.text
    with tenant(org_a):
        assert Payment.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_two_sales_of_the_last_spot_at_once_make_exactly_one(org_a, alice, shop):
    results, start = [], threading.Barrier(2)

    def buy(person):
        try:
            start.wait()
            with tenant(org_a):
                services.sale_record(
                    package=shop["party"], customer=person, payer=person, method="cash", by=alice
                )
            results.append("sold")
        except services.SaleError as refusal:
            results.append(str(refusal))
        finally:
            connection.close()

    threads = [threading.Thread(target=buy, args=(person,)) for person in (shop["pat"], shop["kim"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["sold", "“Party” is sold out."]
    with tenant(org_a):
        assert Purchase.objects.filter(package=shop["party"]).count() == 1


def test_admins_refund_part_then_the_rest_and_never_more(alice_client, org_a, shop, alice):
    with tenant(org_a):
        purchase = services.sale_record(
            package=shop["camp"], customer=shop["kim"], payer=shop["pat"], method="cash", by=alice
        )
        payment = purchase.payments.get()
    url = tab(org_a, shop["pat"]) + f"{payment.pk}/refund/"
    form = alice_client.get(url).text
    assert 'value="325.00"' in form and "Up to USD 325.00." in form
    alice_client.post(url, {"amount": "162.50", "reason": "Left after lunch"})
    too_much = alice_client.post(url, {"amount": "200", "reason": "Oops"})
    assert too_much.status_code == 422 and "That is more than is left of this payment." in too_much.text
    no_reason = alice_client.post(url, {"amount": "1", "reason": "  "})
    assert no_reason.status_code == 422 and "This field is required." in no_reason.text
    alice_client.post(url, {"amount": "162.50", "reason": "Camp cancelled"})
    page = alice_client.get(tab(org_a, shop["kim"])).text
    assert "Refunded $162.50" in page and "Left after lunch" in page and "Camp cancelled" in page
    assert ">Refunded</span>" in page
    assert "Paid in all <strong>$0.00</strong>" in alice_client.get(tab(org_a, shop["pat"])).text
    with tenant(org_a):
        payment.refresh_from_db()
        assert payment.refunded == 32500 and payment.refunds.count() == 2
        assert Activity.objects.filter(customer=shop["pat"], kind=PaymentEvent.REFUND).count() == 2
        assert AuditEvent.objects.filter(action=PaymentAudit.REFUND_MADE).count() == 2
    assert alice_client.get(url).status_code == 200 and "Refund…" not in page


def test_staff_may_not_refund_and_another_organization_reaches_nothing(
    carol_client, bob_client, org_a, org_b, shop, alice
):
    with tenant(org_a):
        purchase = services.sale_record(
            package=shop["camp"], customer=shop["kim"], payer=shop["pat"], method="cash", by=alice
        )
        payment = purchase.payments.get()
    url = tab(org_a, shop["pat"]) + f"{payment.pk}/refund/"
    assert carol_client.post(url, {"amount": "1", "reason": "x"}).status_code == 403
    beta_url = f"/app/{org_b.slug}/customers/{shop['pat'].pk}/payments/"
    assert bob_client.get(beta_url).status_code == 404
    assert (
        bob_client.post(beta_url + f"{payment.pk}/refund/", {"amount": "1", "reason": "x"}).status_code == 404
    )
    assert (
        bob_client.post(beta_url + "sell/", {"package": shop["camp"].pk, "method": "cash"}).status_code == 404
    )
    with tenant(org_a):
        assert Payment.objects.get().refunded == 0


def test_an_empty_tab_says_what_to_do(alice_client, org_a, shop):
    page = alice_client.get(tab(org_a, shop["pat"])).text
    assert "No payments yet. Sell a package above" in page and "Sell a package" in page


def test_the_roster_finds_buyers_big_spenders_and_recent_buyers_and_exports_their_spend(
    alice_client, org_a, shop, alice
):
    with tenant(org_a):
        services.sale_record(
            package=shop["party"], customer=shop["kim"], payer=shop["pat"], method="cash", by=alice
        )
        stan = customer(first_name="Stan", last_name="Parent", by=alice)
    roster = f"/app/{org_a.slug}/customers/?q=parent&"
    bought = alice_client.get(roster + f"bought={shop['party'].pk}").text
    assert "Parent, Pat" in bought and "Parent, Kim" in bought and "Parent, Stan" not in bought
    spent = alice_client.get(roster + "spent_min=300&spent_max=400").text
    assert "Parent, Pat" in spent and "Parent, Kim" not in spent
    assert "Parent, Pat" not in alice_client.get(roster + "spent_min=400").text
    today = date.today().isoformat()
    recent = alice_client.get(roster + f"last_purchase_min={today}").text
    assert "Parent, Pat" in recent and "Parent, Stan" not in recent
    assert "Parent, Pat" not in alice_client.get(roster + "last_purchase_max=2020-01-01").text
    export = alice_client.get(f"/app/{org_a.slug}/customers/export.csv?q=parent")
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    paid = {row["First name"]: row["Paid in all"] for row in rows}
    assert paid == {"Pat": "$323.67", "Kim": "", stan.first_name: ""}


def test_a_guardian_sees_their_payments_and_their_childs_in_the_portal(client, org_a, shop, alice):
    pat, kim = shop["pat"], shop["kim"]
    with tenant(org_a):
        services.sale_record(package=shop["camp"], customer=kim, payer=pat, method="cash", by=alice)
        granny = customer(first_name="Gran", last_name="Parent", email="gran@alpha.example", by=alice)
        link_add(guardian=granny, dependant=kim, relationship="other", by=alice)
        users = {}
        for person in (pat, granny):
            users[person.pk] = make_user(person.email)
            Customer.objects.filter(pk=person.pk).update(user=users[person.pk])
    url = f"/{org_a.slug}/account/payments/"
    assert client.get(url).status_code == 302  # log in first
    page = logged_in(users[pat.pk]).get(url).text
    assert "Camp" in page and "for Kim Parent" in page and "$325.00" in page and ">Payments</a>" in page
    granny_page = logged_in(users[granny.pk]).get(url).text  # no "see bookings and payments" for Kim
    assert "Camp" not in comparable(granny_page) and "No payments yet." in granny_page


def test_the_portal_shows_a_long_history_25_payments_a_page(org_a, shop, alice):
    pat = shop["pat"]
    with tenant(org_a):
        drop_in = services.package_save(package=Package(name="Drop-in", price=1000, currency="USD"), by=alice)
        for number in range(101, 131):
            services.sale_record(
                package=drop_in, customer=pat, payer=pat, method="cheque", reference=str(number), by=alice
            )
        Customer.objects.filter(pk=pat.pk).update(user=make_user(pat.email))
        pat.refresh_from_db()
    portal = logged_in(pat.user)
    first = portal.get(f"/{org_a.slug}/account/payments/").text
    assert first.count("Cheque 1") == 25 and "Page 1 of 2" in first and 'href="?page=2"' in first
    second = portal.get(f"/{org_a.slug}/account/payments/?page=2").text
    assert second.count("Cheque 1") == 5 and "Newer payments" in second
    assert portal.get(f"/{org_a.slug}/account/payments/?page=x").status_code == 200  # the first page


def test_a_long_history_shows_25_payments_a_page_with_refunds_under_theirs(alice_client, org_a, shop, alice):
    pat = shop["pat"]
    with tenant(org_a):
        drop_in = services.package_save(package=Package(name="Drop-in", price=1000, currency="USD"), by=alice)
        for number in range(101, 131):  # cheque 130 is the newest
            purchase = services.sale_record(
                package=drop_in, customer=pat, payer=pat, method="cheque", reference=str(number), by=alice
            )
            Payment.objects.filter(purchase=purchase).update(
                created_at=timezone.now() - timedelta(days=131 - number)
            )
        oldest = Payment.objects.get(reference="101")
        services.payment_refund(payment=oldest, amount=400, reason="Left early", by=alice)
    first = alice_client.get(tab(org_a, pat)).text
    assert [n for n in range(101, 131) if f"Cheque {n}<" in first] == list(range(106, 131))
    assert (
        "Page 1 of 2" in first and f'href="{tab(org_a, pat)}?page=2"' in first and "Older payments" in first
    )
    assert "Newer payments" not in first and "Left early" not in first
    assert "Paid in all <strong>$296.00</strong>" in first  # all 30 payments, refund taken off
    second = alice_client.get(tab(org_a, pat) + "?page=2").text
    assert [n for n in range(101, 131) if f"Cheque {n}<" in second] == list(range(101, 106))
    assert "Page 2 of 2" in second and "Newer payments" in second and "Older payments" not in second
    refund_row = second[second.index("Cheque 101<") :]
    assert "Refunded $4.00" in refund_row and "Left early" in refund_row
    # Staff follow Refund… from page 2: the form opens on the page that payment is on.
    form = alice_client.get(tab(org_a, pat) + f"{oldest.pk}/refund/").text
    assert "Refund Drop-in" in form and "Cheque 101<" in form and "Page 2 of 2" in form
    assert "Cheque 101<" in alice_client.get(tab(org_a, pat) + "?page=99").text  # past the end: the last
    assert "Cheque 130<" in alice_client.get(tab(org_a, pat) + "?page=x").text  # not a number: the first


def test_a_page_of_payments_takes_as_many_queries_whatever_its_length(alice_client, org_a, shop, alice):
    pat = shop["pat"]
    with tenant(org_a):
        drop_in = services.package_save(package=Package(name="Drop-in", price=1000, currency="USD"), by=alice)
        for _ in range(27):
            purchase = services.sale_record(package=drop_in, customer=pat, payer=pat, method="cash", by=alice)
            services.payment_refund(payment=purchase.payments.get(), amount=100, reason="Late", by=alice)
    counts = []
    for page in (1, 2):  # 25 payments, then 2
        with CaptureQueriesContext(connection) as queries:
            assert alice_client.get(tab(org_a, pat) + f"?page={page}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
