"""The Sales report: money taken, refunded and kept over a period, by month, by package and by customer, as
pages and CSVs; only for roles that read reports, and only the organization's own money."""

import csv
import io
from datetime import date, timedelta

import openpyxl
import pytest
from django.utils import timezone

from accounts.tenancy import tenant
from billing import services
from billing.models import Package, Payment, Purchase
from billing.report import Period
from customers.services import customer_delete
from tests.factories import customer

SALES = "/app/{slug}/sales/"


@pytest.fixture
def sold(org_a, org_b, alice, bob):
    """In Alpha: Pat bought a party two months ago (half refunded this month) and Quinn a drop-in today.
    Beta sold something too, which Alpha never sees."""
    with tenant(org_a):
        party = services.package_save(package=Package(name="Party", price=20000, currency="USD"), by=alice)
        jump = services.package_save(package=Package(name="Jump", price=1800, currency="USD"), by=alice)
        pat = customer(first_name="Pat", last_name="Payer", by=alice)
        quinn = customer(first_name="Quinn", last_name="Quick", by=alice)
        old = services.sale_record(package=party, customer=pat, payer=pat, method="cash", by=alice)
        months_ago = timezone.now() - timedelta(days=62)
        Purchase.objects.filter(pk=old.pk).update(created_at=months_ago)
        Payment.objects.filter(purchase=old).update(created_at=months_ago)
        services.payment_refund(payment=old.payments.get(), amount=10000, reason="Rain", by=alice)
        services.sale_record(package=jump, customer=quinn, payer=quinn, method="cash", by=alice)
    with tenant(org_b):
        beta = services.package_save(package=Package(name="Beta secret", price=99900, currency="USD"), by=bob)
        buyer = customer(first_name="Bea", by=bob)
        services.sale_record(package=beta, customer=buyer, payer=buyer, method="cash", by=bob)
    return {"pat": pat, "quinn": quinn}


def test_the_report_totals_the_period_by_month_package_and_customer(alice_client, org_a, sold):
    page = alice_client.get(SALES.format(slug=org_a.slug)).text
    assert 'data-total="sales">2<' in page and 'data-total="taken">$218.00<' in page
    assert 'data-total="refunded">$100.00<' in page and 'data-total="net">$118.00<' in page
    packages = page[page.index("sales-packages") :]
    assert packages.index("Party") < packages.index("Jump")  # by money kept: $100.00 before $18.00
    assert "Pat Payer" in page and "Quinn Quick" in page and "Beta secret" not in page


def test_a_period_narrows_it_and_a_wrong_one_says_why(alice_client, org_a, sold):
    today = date.today().isoformat()
    page = alice_client.get(SALES.format(slug=org_a.slug) + f"?start={today}&end={today}").text
    assert 'data-total="taken">$18.00<' in page and 'data-total="refunded">$100.00<' in page
    wrong = alice_client.get(SALES.format(slug=org_a.slug) + "?start=2026-05-01&end=2026-04-01").text
    assert "The period has to end after it starts." in wrong
    for far, message in (
        ("?start=2026-01-01&end=9999-12-31", "Enter a date between 1900 and 2999."),
        ("?start=1990-01-01&end=2026-12-31", "Choose at most 5 years."),
    ):
        refused = alice_client.get(SALES.format(slug=org_a.slug) + far)
        assert refused.status_code == 200 and message in refused.text
    empty = alice_client.get(SALES.format(slug=org_a.slug) + "?start=2020-01-01&end=2020-01-31").text
    assert "Nothing was paid in this period." in empty


def test_months_and_packages_download_as_csv(alice_client, org_a, sold):
    months = alice_client.get(SALES.format(slug=org_a.slug) + "?download=months")
    rows = list(csv.reader(io.StringIO(b"".join(months.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["Month", "Payments", "Taken", "Refunded", "Net", "Currency"]
    assert len(rows) == 13 and rows[-1][0] == date.today().strftime("%Y-%m")
    assert sum(float(row[4]) for row in rows[1:]) == 118.0
    packages = alice_client.get(SALES.format(slug=org_a.slug) + "?download=packages")
    rows = list(csv.reader(io.StringIO(b"".join(packages.streaming_content).decode("utf-8-sig"))))
    assert rows[1:] == [
        ["Party", "1", "200.00", "100.00", "100.00", "USD"],
        ["Jump", "1", "18.00", "0.00", "18.00", "USD"],
    ]


def test_packages_download_as_xlsx_with_numbers_and_text_never_formulas(alice_client, org_a, sold, alice):
    with tenant(org_a):
        trick = services.package_save(
            package=Package(name="=HYPERLINK(1)", price=500, currency="USD"), by=alice
        )
        buyer = customer(first_name="Tess", by=alice)
        services.sale_record(package=trick, customer=buyer, payer=buyer, method="cash", by=alice)
    response = alice_client.get(SALES.format(slug=org_a.slug) + "?download=packages&format=xlsx")
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["Package", "Payments", "Taken", "Refunded", "Net", "Currency"]
    assert rows[1:] == [
        ["Party", 1, 200, 100, 100, "USD"],
        ["Jump", 1, 18, 0, 18, "USD"],
        ["=HYPERLINK(1)", 1, 5, 0, 5, "USD"],
    ]
    assert sheet["A4"].data_type == "s"  # text, not a formula


def test_staff_without_reports_may_not_read_it_and_beta_sees_only_its_own(
    carol_client, bob_client, org_a, org_b, sold
):
    assert carol_client.get(SALES.format(slug=org_a.slug)).status_code == 403
    assert ">Sales</a>" not in carol_client.get(f"/app/{org_a.slug}/customers/").text
    assert bob_client.get(SALES.format(slug=org_a.slug)).status_code == 404
    beta = bob_client.get(SALES.format(slug=org_b.slug)).text
    assert "Beta secret" in beta and "Pat Payer" not in beta


def test_the_default_period_is_this_month_and_the_eleven_before():
    assert Period.last_twelve_months(date(2026, 11, 30)) == Period(date(2025, 12, 1), date(2026, 11, 30))
    assert Period.last_twelve_months(date(2026, 1, 5)) == Period(date(2025, 2, 1), date(2026, 1, 5))
    assert len(Period(date(2025, 12, 1), date(2026, 11, 30)).months()) == 12


def test_payments_carry_their_purchase_s_package_and_payer_however_they_are_written(
    alice_client, org_a, sold, alice
):
    """The report groups payments by the package and payer the database copies onto each from its purchase:
    through a service, a bulk insert (as the demo does), and after the payer is deleted."""
    with tenant(org_a):
        purchase = Purchase.objects.get(customer=sold["quinn"])
        assert Payment.objects.filter(purchase=purchase).values_list("package", "payer").get() == (
            purchase.package_id,
            sold["quinn"].pk,
        )
        Payment.objects.bulk_create([Payment(purchase=purchase, amount=500, currency="USD", method="cash")])
        assert set(Payment.objects.filter(purchase=purchase).values_list("package", "payer")) == {
            (purchase.package_id, sold["quinn"].pk)
        }
    page = alice_client.get(SALES.format(slug=org_a.slug)).text
    assert 'data-total="sales">3<' in page and '<td>Jump</td><td class="text-end">2<' in page
    assert 'Quinn Quick</a></td><td class="text-end">2<' in page
    with tenant(org_a):
        customer_delete(customer=sold["quinn"], by=alice)
        assert set(Payment.objects.filter(purchase=purchase).values_list("payer", flat=True)) == {None}
    page = alice_client.get(SALES.format(slug=org_a.slug)).text
    assert "Quinn Quick" not in page and 'data-total="sales">3<' in page  # still money taken
