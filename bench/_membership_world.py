"""The memberships bench/memberships.py measures: a monthly membership package, and as the superuser with
INSERT … SELECT each member's Subscription (about 3 % past due, three in ten paid by a guardian with a
saved card) and its first invoice, paid, with the purchase and card payment it stands for. Not a benchmark
itself."""

import time

PAST_DUE_SHARE = 0.03
GUARDIAN_SHARE = 0.3
PRICE, TAX_RATE = 4900, "8.25"


def package_create(organization, owner):
    from accounts.tenancy import tenant
    from billing.models import Package, PackageKind
    from billing.services import package_save

    with tenant(organization):
        package = Package(
            name="Monthly membership",
            kind=PackageKind.MEMBERSHIP,
            price=PRICE,
            tax_rate=TAX_RATE,
            currency="USD",
            interval="month",
        )
        return package_save(package=package, by=owner)


# Members drawn at random from the organization's customers; after them, the guardians who pay for some (two
# children each).
MEMBERS_OF_ONE_ORGANIZATION = """
    WITH drawn AS (
        SELECT id, row_number() OVER (ORDER BY random()) AS n FROM customers_customer
        WHERE organization_id = %(org)s ORDER BY n LIMIT %(count)s + %(guarded)s
    )
    INSERT INTO membership (organization_id, package_id, member_id, payer_id, past_due)
    SELECT %(org)s, %(package)s, member.id, coalesce(guardian.id, member.id), random() < %(past_due)s
    FROM drawn member
    LEFT JOIN drawn guardian ON member.n <= %(guarded)s AND guardian.n = %(count)s + (member.n + 1) / 2
    WHERE member.n <= %(count)s
"""


def load_memberships(superuser_url: str, organizations: dict, owner_id: int) -> float:
    """Memberships of every organization in `organizations` ({id: (package id, count)}), each with its payer's
    saved card and its first invoice paid (a staff sale: purchase and card payment), as the superuser."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(superuser_url) as conn, conn.cursor() as cursor:
        cursor.execute(
            """CREATE TEMP TABLE membership (
                 n bigint GENERATED ALWAYS AS IDENTITY, organization_id bigint, package_id bigint,
                 member_id bigint, payer_id bigint, past_due boolean,
                 subscription_id bigint DEFAULT nextval(pg_get_serial_sequence('billing_subscription', 'id')),
                 purchase_id bigint DEFAULT nextval(pg_get_serial_sequence('billing_purchase', 'id')),
                 payment_id bigint DEFAULT nextval(pg_get_serial_sequence('billing_payment', 'id')))"""
        )
        for org, (package, count) in organizations.items():
            guarded = round(count * GUARDIAN_SHARE / 2) * 2
            cursor.execute(
                MEMBERS_OF_ONE_ORGANIZATION,
                {
                    "org": org,
                    "package": package,
                    "count": count,
                    "guarded": guarded,
                    "past_due": PAST_DUE_SHARE,
                },
            )
        # Who pays for another is their guardian, with every permission, as the family page links them.
        cursor.execute(
            """INSERT INTO families_guardianlink (organization_id, guardian_id, dependant_id, relationship,
                 is_primary, permissions, created_by_id, created_at)
               SELECT organization_id, payer_id, member_id, 'parent', true,
                      ARRAY['view_profile', 'edit_profile', 'book', 'purchase', 'pay', 'view_history',
                            'notifications'], %(owner)s, now() - interval '40 days'
               FROM membership WHERE payer_id <> member_id""",
            {"owner": owner_id},
        )
        cursor.execute(
            """INSERT INTO billing_savedcard (organization_id, customer_id, stripe_payment_method, brand,
                 last4, exp_month, exp_year, is_default, created_at)
               SELECT DISTINCT ON (payer_id) organization_id, payer_id, 'pm_bench_' || payer_id, 'visa',
                      lpad(mod(payer_id, 10000)::text, 4, '0'), 1 + mod(payer_id, 12), 2030, true,
                      now() - interval '40 days'
               FROM membership ORDER BY payer_id"""
        )
        labels = """JOIN customers_customer member ON member.id = m.member_id
                    JOIN customers_customer payer ON payer.id = m.payer_id
                    JOIN billing_package package ON package.id = m.package_id"""
        tax = "round(package.price * package.tax_rate / 100)"
        cursor.execute(
            f"""INSERT INTO billing_subscription (id, organization_id, package_id, member_id, member_label,
                  payer_id, payer_label, price, tax, currency, interval, interval_count, channel,
                  stripe_subscription, payment_method, status, current_period_end, synced_at, started_by_id,
                  created_at)
                SELECT m.subscription_id, m.organization_id, m.package_id, m.member_id,
                       member.first_name || ' ' || member.last_name, m.payer_id,
                       payer.first_name || ' ' || payer.last_name, package.price, {tax}, 'USD', 'month', 1,
                       'staff', 'sub_bench_' || m.n, 'pm_bench_' || m.payer_id,
                       CASE WHEN m.past_due THEN 'past_due' ELSE 'active' END, date_trunc('second', now()),
                       now() - interval '1 month', %(owner)s, now() - interval '1 month'
                FROM membership m {labels} ORDER BY m.n""",
            {"owner": owner_id},
        )
        cursor.execute(
            f"""INSERT INTO billing_purchase (id, organization_id, package_id, customer_id, customer_label,
                  payer_id, payer_label, price, tax, currency, channel, sold_by_id, created_at)
                SELECT m.purchase_id, m.organization_id, m.package_id, m.member_id,
                       member.first_name || ' ' || member.last_name, m.payer_id,
                       payer.first_name || ' ' || payer.last_name, package.price, {tax}, 'USD', 'staff',
                       %(owner)s, now() - interval '1 month'
                FROM membership m {labels} ORDER BY m.n""",
            {"owner": owner_id},
        )
        cursor.execute(
            """INSERT INTO billing_payment (id, organization_id, purchase_id, amount, currency, method,
                 reference, card_brand, card_last4, stripe_payment_intent, refunded, taken_by_id, created_at)
               SELECT m.payment_id, m.organization_id, m.purchase_id, purchase.price + purchase.tax, 'USD',
                      'card', '', 'visa', lpad(mod(m.payer_id, 10000)::text, 4, '0'),
                      'pi_bench_first_' || m.n, 0, %(owner)s, purchase.created_at + interval '2 seconds'
               FROM membership m JOIN billing_purchase purchase ON purchase.id = m.purchase_id
               ORDER BY m.n""",
            {"owner": owner_id},
        )
        cursor.execute(
            """INSERT INTO billing_subscriptioninvoice (organization_id, subscription_id, stripe_invoice,
                 amount, currency, status, period_start, period_end, attempts, payment_id, synced_at,
                 created_at)
               SELECT m.organization_id, m.subscription_id, 'in_bench_' || m.n || '_1', payment.amount, 'USD',
                      'paid', subscription.current_period_end - interval '1 month',
                      subscription.current_period_end, 1, m.payment_id, subscription.synced_at,
                      subscription.created_at
               FROM membership m
               JOIN billing_payment payment ON payment.id = m.payment_id
               JOIN billing_subscription subscription ON subscription.id = m.subscription_id
               ORDER BY m.n"""
        )
        conn.commit()
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        for table in (
            "billing_subscription",
            "billing_subscriptioninvoice",
            "billing_purchase",
            "billing_payment",
            "billing_savedcard",
            "families_guardianlink",
        ):
            conn.execute(f"VACUUM ANALYZE {table}")
    seconds = time.perf_counter() - started
    memberships = sum(count for _, count in organizations.values())
    print(f"loaded {memberships:,} memberships with INSERT … SELECT in {seconds:.1f} s", flush=True)
    return seconds
