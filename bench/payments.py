"""The profile's Payments tab and the Sales report on an organization with a million payments.

    .venv/bin/python bench/payments.py            # 50 k payments over 5 k customers (under a minute)
    .venv/bin/python bench/payments.py --full     # 1 M payments over 100 k customers: the issue's figures

Starts its own embedded PostgreSQL and Redis, loads customers with COPY (see roster_search.py), then, as the
superuser with INSERT … SELECT over generate_series, purchases and their payments spread over the last two
years in the order they happened (card, cash, terminal, cheque; some paid by someone else), about 4 % of them
refunded in part or in full, and a second organization beside it with a tenth as many. One customer of the
measured organization paid 2,000 of them (for themselves and three others). Then times, through the Django
test client logged in as the organization's owner (row-level security in force, as in production), after a
warm-up: that customer's Payments tab (the full page and the fragment htmx asks for), the Sales report for
the default period (this month and the eleven before) and for the calendar year before, and its CSV downloads.
"""

import random
import statistics
import time
from datetime import date

from _harness import bench_environment, bench_organizations, bench_parser, timed
from roster_search import load, percentile

HEAVY_PAYMENTS = 2_000
REFUND_SHARE = 0.04
PACKAGES = [  # name, price in cents, tax rate (%)
    ("Birthday party", 29900, "8.25"),
    ("Deluxe party", 44900, "8.25"),
    ("Open jump", 1800, "0"),
    ("Toddler time", 1200, "0"),
    ("10-visit pass", 15000, "0"),
    ("Summer camp week", 32500, "0"),
    ("Monthly membership", 4900, "8.25"),
    ("Yearly membership", 49900, "8.25"),
    ("Gift card", 5000, "0"),
    ("Group visit", 12000, "8.25"),
    ("Ninja class", 2500, "0"),
    ("Parents' night out", 3500, "0"),
]
GOALS = {"tab": 50.0, "report": 500.0}


def packages_create(organization, owner) -> None:
    from accounts.tenancy import tenant
    from billing.models import Package
    from billing.services import package_save

    with tenant(organization):
        for name, price, tax_rate in PACKAGES:
            package_save(package=Package(name=name, price=price, tax_rate=tax_rate, currency="USD"), by=owner)


# Some customers buy far more often than others; one in ten purchases is paid by someone else.
SALES_OF_ONE_ORGANIZATION = """
    INSERT INTO sale
    SELECT %(org)s,
           customers[1 + floor(power(random(), 2) * cardinality(customers))::int],
           CASE WHEN random() < 0.1 THEN customers[1 + floor(random() * cardinality(customers))::int] END,
           packages[1 + floor(random() * cardinality(packages))::int],
           now() - random() * interval '730 days'
    FROM (SELECT array_agg(id ORDER BY id) AS customers FROM customers_customer
          WHERE organization_id = %(org)s) AS c,
         (SELECT array_agg(id) AS packages FROM billing_package WHERE organization_id = %(org)s) AS p,
         generate_series(1, %(count)s)
"""


def load_payments(superuser_url: str, counts: dict[int, int], heavy: int, people: list[int], owner_id: int):
    """Purchases, payments and refunds of every organization in `counts` ({organization id: payments}), in the
    order they happened, as the superuser; `heavy` pays HEAVY_PAYMENTS more, for themselves and `people`."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(superuser_url) as conn, conn.cursor() as cursor:
        cursor.execute(
            """CREATE TEMP TABLE sale (organization_id bigint, customer_id bigint, payer_id bigint,
                 package_id bigint, created_at timestamptz)"""
        )
        for org, count in counts.items():
            cursor.execute(SALES_OF_ONE_ORGANIZATION, {"org": org, "count": count})
        cursor.execute(
            """INSERT INTO sale
               SELECT %(org)s, (%(people)s::bigint[])[1 + floor(random() * %(many)s)::int], %(heavy)s,
                      packages[1 + floor(random() * cardinality(packages))::int],
                      now() - random() * interval '730 days'
               FROM (SELECT array_agg(id) AS packages FROM billing_package
                     WHERE organization_id = %(org)s) AS p,
                    generate_series(1, %(count)s)""",
            {
                "org": next(iter(counts)),
                "people": [heavy, *people],
                "many": len(people) + 1,
                "heavy": heavy,
                "count": HEAVY_PAYMENTS,
            },
        )
        cursor.execute(
            """INSERT INTO billing_purchase (organization_id, package_id, customer_id, customer_label,
                 payer_id, payer_label, price, tax, currency, channel, sold_by_id, created_at)
               SELECT sale.organization_id, package.id, buyer.id, buyer.first_name || ' ' || buyer.last_name,
                      payer.id, payer.first_name || ' ' || payer.last_name, package.price,
                      round(package.price * package.tax_rate / 100), 'USD',
                      CASE WHEN random() < 0.3 THEN 'store' ELSE 'staff' END, %(owner)s, sale.created_at
               FROM sale
               JOIN billing_package package ON package.id = sale.package_id
               JOIN customers_customer buyer ON buyer.id = sale.customer_id
               JOIN customers_customer payer ON payer.id = coalesce(sale.payer_id, sale.customer_id)
               ORDER BY sale.created_at""",
            {"owner": owner_id},
        )
        cursor.execute(
            """INSERT INTO billing_payment (organization_id, purchase_id, amount, currency, method, reference,
                 card_brand, card_last4, stripe_payment_intent, refunded, taken_by_id, created_at)
               SELECT organization_id, id, price + tax, currency, method,
                      CASE method WHEN 'cheque' THEN (1000 + mod(id, 9000))::text
                                  WHEN 'terminal' THEN 'T-' || id ELSE '' END,
                      CASE method WHEN 'card' THEN (ARRAY['visa', 'mastercard', 'amex'])[1 + mod(id, 3)]
                                  ELSE '' END,
                      CASE method WHEN 'card' THEN lpad(mod(id, 10000)::text, 4, '0') ELSE '' END,
                      CASE WHEN channel = 'store' THEN 'pi_bench_' || id ELSE '' END, 0,
                      CASE WHEN channel = 'staff' THEN sold_by_id END, created_at + interval '2 seconds'
               FROM (SELECT *, CASE WHEN channel = 'store' THEN 'card'
                                    ELSE (ARRAY['card', 'cash', 'cash', 'terminal', 'cheque'])[1 + mod(id, 5)]
                               END AS method
                     FROM billing_purchase) AS purchase
               ORDER BY id"""
        )
        # Half or all of a payment given back days after it (never in the future), in the order they happened.
        cursor.execute(
            """INSERT INTO billing_refund (organization_id, payment_id, amount, reason, stripe_refund, by_id,
                 created_at)
               SELECT organization_id, id, CASE WHEN mod(id, 2) = 0 THEN amount ELSE amount / 2 END,
                      'Bench refund', '', %(owner)s,
                      least(now(), created_at + random() * interval '20 days')
               FROM billing_payment WHERE random() < %(share)s AND amount >= 2
               ORDER BY 7""",
            {"owner": owner_id, "share": REFUND_SHARE},
        )
        cursor.execute(
            """UPDATE billing_payment SET refunded = refund.amount
               FROM billing_refund refund WHERE refund.payment_id = billing_payment.id"""
        )
        refunds = cursor.rowcount
        conn.commit()
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        for table in ("billing_purchase", "billing_payment", "billing_refund"):
            conn.execute(f"VACUUM ANALYZE {table}")
    payments = sum(counts.values()) + HEAVY_PAYMENTS
    seconds = time.perf_counter() - started
    print(
        f"loaded {payments:,} purchases with their payments and {refunds:,} refunds with INSERT … SELECT "
        f"in {seconds:.1f} s",
        flush=True,
    )
    return seconds


def main() -> None:
    parser = bench_parser(
        __doc__,
        size=50_000,
        full=1_000_000,
        what="payments in the measured organization (over a tenth as many customers)",
    )
    parser.add_argument("--requests", type=int, default=100, help="timed requests of the Payments tab")
    options = parser.parse_args()
    size = options.size
    customers = max(size // 10, 1_000)  # ten payments each on average
    report_requests = max(options.requests // 5, 5)
    run_started = time.perf_counter()

    with bench_environment("payments-bench-") as superuser_url:
        from django.test import Client

        from accounts.tenancy import tenant
        from billing.models import Payment
        from customers.models import Customer

        owner, big, other = bench_organizations()
        load(
            superuser_url,
            customers + customers // 10,
            (customers - 0.5) / (customers * 1.1),
            [big.pk, other.pk],
            random.Random(7),
        )
        for organization in (big, other):
            packages_create(organization, owner)
        with tenant(big):
            # The last customers are those the skewed draw picks least: the measured one has 2,000 and a few.
            heavy, *people = Customer.objects.order_by("-pk").values_list("pk", flat=True)[:4]
        load_seconds = load_payments(
            superuser_url, {big.pk: size, other.pk: size // 10}, heavy, people, owner.pk
        )
        with tenant(big):
            payments = Payment.objects.count()
            heavy_payments = Payment.objects.filter(purchase__payer_id=heavy).count()

        client = Client()
        client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
        tab = f"/app/{big.slug}/customers/{heavy}/payments/"
        sales = f"/app/{big.slug}/sales/"
        year = date.today().year - 1
        calendar_year = f"?start={year}-01-01&end={year}-12-31"
        fragment = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "profile-panel"}  # what its links ask
        measured = {  # what, url, headers, requests, goal
            "Payments tab (full page)": (tab, {}, options.requests, GOALS["tab"]),
            "Payments tab (htmx fragment)": (tab, fragment, options.requests, GOALS["tab"]),
            "Payments tab, page 40 (htmx)": (tab + "?page=40", fragment, options.requests, GOALS["tab"]),
            # What the profile around the tab costs: the same customer's Info tab, with no payments on it.
            "  (Info tab of the same profile)": (tab.replace("payments/", ""), {}, options.requests, None),
            "Sales report, default period": (sales, {}, report_requests, GOALS["report"]),
            f"Sales report, {year}": (sales + calendar_year, {}, report_requests, GOALS["report"]),
            "Sales CSV by month, default period": (
                sales + "?download=months",
                {},
                report_requests,
                GOALS["report"],
            ),
            "Sales CSV by package, default period": (
                sales + "?download=packages",
                {},
                report_requests,
                GOALS["report"],
            ),
        }
        figures = {}
        for name, (url, headers, count, _) in measured.items():
            for _ in range(3):  # warm the caches
                response = client.get(url, **headers)
                assert response.status_code == 200, (url, response.status_code)
            figures[name] = [
                timed(lambda url=url, headers=headers: client.get(url, **headers)) for _ in range(count)
            ]

    print(
        f"\n{payments:,} payments in the measured organization ({size // 10:,} in another), over"
        f" {customers:,} customers and two years; the measured customer paid {heavy_payments:,}; times in ms"
    )
    print(f"{'what':<40}{'p50':>9}{'p95':>9}{'max':>9}{'goal p95':>10}{'':>6}")
    for name, values in figures.items():
        goal = measured[name][3]
        p95 = percentile(values, 0.95)
        verdict = f"{goal:>10.0f}{'ok' if p95 <= goal else 'SLOW':>6}" if goal else ""
        print(f"{name:<40}{statistics.median(values):>9.1f}{p95:>9.1f}{max(values):>9.1f}{verdict}")
    print(f"(data loaded in {load_seconds:.0f} s; the run took {time.perf_counter() - run_started:.0f} s)")
    results = {
        "tab_p95_ms": percentile(figures["Payments tab (full page)"], 0.95),
        "tab_fragment_p95_ms": percentile(figures["Payments tab (htmx fragment)"], 0.95),
        "sales_default_p95_ms": percentile(figures["Sales report, default period"], 0.95),
        "sales_year_p95_ms": percentile(figures[f"Sales report, {year}"], 0.95),
        "sales_csv_p95_ms": max(
            percentile(figures[name], 0.95) for name in measured if name.startswith("Sales CSV")
        ),
        "load_s": load_seconds,
    }
    print("RESULT " + " ".join(f"{key}={value:.1f}" for key, value in results.items()))


if __name__ == "__main__":
    main()
