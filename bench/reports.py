"""Reports → Customers on a large roster: a year, week by week, for everyone and for a saved segment.

    .venv/bin/python bench/reports.py            # 50 k customers (about a minute)
    .venv/bin/python bench/reports.py --full     # 500 k customers: the issue's figure (≤ 500 ms)

Starts its own embedded PostgreSQL and Redis, loads customers with COPY (see roster_search.py) into one
measured organization and a smaller second one, then spreads them over two years of sign-ups from every
source, archives a tenth, links a fifth as dependants of a guardian, tags them (20 tags), invites 5 % to claim
an account. The segment is two tags and one more condition (has an email). Then times the whole page as the
owner with the Django test client (row-level security in force), ~20 times each: as staff get it (a large
roster's figures are kept for a few minutes, see REPORT_CACHE_AFTER_MS) and counted afresh on every request.

The spread rewrites every customer twice in bulk, which leaves the table and its indexes at twice their size
(customer_report_idx 136 MB instead of 52): the report counted afresh is timed once like that, then on the
table compacted as customers added over time leave it (VACUUM FULL), where every other figure is timed.
"""

import random
import statistics
import time

from _harness import bench_environment, bench_organizations, bench_parser, goal_table, timed
from roster_search import load, percentile

GOAL_MS = 500
TAG_COUNT = 20


def spread(superuser_url: str, organization_id: int, tag_ids: list[int]) -> None:
    """Sign-up dates, sources, archives, households, tags and invitations, generated in the server."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(superuser_url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT setseed(0.7)")
        cursor.execute(
            """UPDATE customers_customer SET
                 created_at = timestamptz '2025-01-01' + random() * interval '700 days',
                 source = (ARRAY['staff', 'online_booking', 'online_store', 'import', 'api', 'form'])
                          [1 + floor(random() * 6)::int],
                 email = CASE WHEN mod(id, 5) = 1 THEN '' ELSE email END
               WHERE organization_id = %s""",
            [organization_id],
        )
        cursor.execute(
            """UPDATE customers_customer SET archived_at = created_at + interval '30 days'
               WHERE organization_id = %s AND mod(id, 10) = 3""",
            [organization_id],
        )
        cursor.execute(  # every fifth customer is looked after by the one before (a fifth are dependants)
            """INSERT INTO families_guardianlink (organization_id, guardian_id, dependant_id, relationship,
                 is_primary, permissions, created_at)
               SELECT organization_id, guardian, id, 'parent', true, '{}', created_at
               FROM (SELECT organization_id, id, created_at, lag(id) OVER (ORDER BY id) AS guardian
                     FROM customers_customer WHERE organization_id = %s) AS pair
               WHERE guardian IS NOT NULL AND mod(id, 5) = 1""",
            [organization_id],
        )
        cursor.execute(
            """INSERT INTO tags_customertag (organization_id, customer_id, tag_id, added_at)
               SELECT organization_id, id, (%s::bigint[])[1 + floor(power(random(), 2) * %s)::int], now()
               FROM customers_customer WHERE organization_id = %s AND random() < 0.6""",
            [tag_ids, len(tag_ids), organization_id],
        )
        cursor.execute(
            """INSERT INTO portal_claiminvite (organization_id, customer_id, email, token_hash, created_at,
                 sent_at, expires_at, reminders_sent, claimed_at, failure)
               SELECT organization_id, id, email, '', created_at, created_at,
                 created_at + interval '3 days', 0,
                 CASE WHEN random() < 0.4 THEN created_at + interval '1 day' END, ''
               FROM customers_customer WHERE organization_id = %s AND email <> '' AND mod(id, 20) = 7""",
            [organization_id],
        )
        conn.commit()
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        for table in (
            "customers_customer",
            "families_guardianlink",
            "tags_customertag",
            "portal_claiminvite",
        ):
            conn.execute(f"VACUUM ANALYZE {table}")
    print(f"spread sign-ups, households, tags and invitations in {time.perf_counter() - started:.1f} s")


def compact(superuser_url: str) -> None:
    """The customers table and its indexes without the room the spread's bulk updates left behind; VACUUM
    again for the visibility map the rewrite starts without (index-only scans need it)."""
    import psycopg

    with psycopg.connect(superuser_url, autocommit=True) as conn:
        conn.execute("VACUUM FULL customers_customer")
        conn.execute("VACUUM ANALYZE customers_customer")


def where_the_time_goes(owner, organization, segment) -> dict[str, tuple[float, float]]:
    """The one statement alone, and the tables built from it, for everyone and for the segment."""
    from accounts.models import Membership
    from accounts.tenancy import tenant
    from customers.reports import report_query
    from reports import customer_report

    parts = {
        "the statement (SQL)": customer_report.figures,
        "the tables (SQL and Python)": customer_report._computed,
    }
    data = {"range": "custom", "start": "2025-11-01", "end": "2026-10-31", "every": "week"}
    figures = {}
    with tenant(organization):
        membership = Membership.objects.get(user=owner)
        queries = [
            report_query(data, membership)[1],
            report_query(data | {"segment": segment.pk}, membership)[1],
        ]
        for name, part in parts.items():
            figures[name] = tuple(
                statistics.median(timed(lambda query=query, part=part: part(query)) for _ in range(5))
                for query in queries
            )
    return figures


def main() -> None:
    parser = bench_parser(__doc__, size=50_000, full=500_000, what="customers in the measured organization")
    parser.add_argument("--runs", type=int, default=20, help="timed requests per kind")
    options = parser.parse_args()
    size = options.size
    total = size + size // 10

    with bench_environment("reports-bench-") as superuser_url:
        from django.conf import settings
        from django.test import Client

        from accounts.tenancy import tenant
        from customers.models import Customer
        from customers.services import segment_save
        from tags.models import Tag

        owner, big, other = bench_organizations()
        load(superuser_url, total, (size - 0.5) / total, [big.pk, other.pk], random.Random(7))
        with tenant(big):
            tags = Tag.objects.bulk_create(Tag(name=f"Tag {number:02d}") for number in range(TAG_COUNT))
        spread(superuser_url, big.pk, [tag.pk for tag in tags])
        with tenant(big):
            rows = Customer.objects.count()
            segment, _ = segment_save(  # two tags and one more condition: a segment staff would save
                owner=owner,
                name="Tag 00 or 01, with email",
                query=f"tag={tags[0].pk}&tag={tags[1].pk}&has_email=true",
                shared=True,
            )

        client = Client()
        client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
        page = f"/app/{big.slug}/reports/customers/?range=custom&start=2025-11-01&end=2026-10-31"
        kinds = {
            "a year by week, everyone": f"{page}&every=week",
            "a year by month, everyone": f"{page}&every=month",
            "a year by week, a segment": f"{page}&every=week&segment={segment.pk}",
            "a year as XLSX, everyone": f"{page}&every=week&format=xlsx",
        }
        counted = {  # figures counted afresh on every request (none kept)
            "counted afresh, everyone": f"{page}&every=week",
            "counted afresh, a segment": f"{page}&every=week&segment={segment.pk}",
        }

        def get(url: str) -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        figures = {}
        keep_after = settings.REPORT_CACHE_AFTER_MS
        settings.REPORT_CACHE_AFTER_MS = (
            10**9
        )  # first nothing is kept: what a request waits every few minutes
        for _ in range(3):
            get(counted["counted afresh, everyone"])
        figures["counted afresh, everyone, before compacting"] = [
            timed(lambda: get(counted["counted afresh, everyone"])) for _ in range(options.runs)
        ]
        compact(superuser_url)
        for name, url in {**counted, **kinds}.items():
            if name == next(iter(kinds)):
                settings.REPORT_CACHE_AFTER_MS = keep_after
            for _ in range(3):  # warm the caches
                get(url)
            figures[name] = [timed(lambda url=url: get(url)) for _ in range(options.runs)]
        sections = where_the_time_goes(owner, big, segment)

    print(f"\n{rows:,} customers in the measured organization ({total - rows:,} in another); times in ms")
    goal_table(figures, {name: (GOAL_MS, None) for name in figures if "before compacting" not in name})
    print("\nwhere the time goes (ms, median of 5; a year by week, counted afresh)")
    for name, (everyone, narrowed) in sections.items():
        print(f"  {name:<32}{everyone:>9.1f} everyone{narrowed:>9.1f} segment")
    headline = percentile(figures["a year by week, everyone"], 0.95)
    segment_p95 = percentile(figures["a year by week, a segment"], 0.95)
    counted_p95 = percentile(figures["counted afresh, everyone"], 0.95)
    counted_segment_p95 = percentile(figures["counted afresh, a segment"], 0.95)
    print(
        f"RESULT customers_report_p95_ms={headline:.1f} segment_report_p95_ms={segment_p95:.1f} "
        f"counted_afresh_p95_ms={counted_p95:.1f} counted_afresh_segment_p95_ms={counted_segment_p95:.1f}"
    )


if __name__ == "__main__":
    main()
