"""Segments on a large roster: tags, a metric condition and a search term together, and bulk tagging.

    .venv/bin/python bench/segments.py            # 50 k customers (a minute or two)
    .venv/bin/python bench/segments.py --full     # 500 k customers: the issue's figures

Starts its own embedded PostgreSQL and Redis, loads customers (see roster_search.py) into one measured
organization and a smaller second one, 50 tags assigned Zipf-distributed (a few common tags, a long tail),
5 metrics with 10 entries each on 20 % of the customers, and notes on 5 % (the search looks in them too); all
with COPY. Then times, as the app role (row-level security in force), what the roster view does for one
request — the filter panel's queryset, the page of 25 rows and the capped count — for "has all of 2 tags AND
metric ≥ x AND a search term typed as staff type it" (the headline), its parts, and a saved segment's live
count; and bulk-tags 100 k customers (50 k without --full) the way the worker does it: committed batches with
an activity event per customer.
"""

import random
import time
from datetime import UTC, date, datetime
from types import SimpleNamespace
from urllib.parse import urlencode

from _harness import (
    as_a_worker,
    bench_environment,
    bench_organizations,
    bench_parser,
    goal_table,
    roster_request,
    timed,
)
from roster_search import as_you_type_queries, load, percentile

TAG_COUNT, TAGS_PER_CUSTOMER = 50, 2.0
METRICS = [  # name, kind, decimals, a threshold for the filter, the range of values
    ("Visits", "counter", 0, lambda rng: rng.randint(0, 60), 0, 60),
    ("Lifetime spend", "money", 2, lambda rng: round(rng.uniform(20, 2000), 2), 20, 2000),
    ("Skill level", "number", 1, lambda rng: round(rng.uniform(1, 10), 1), 1, 10),
    ("Attendance rate", "percentage", 0, lambda rng: rng.randint(20, 100), 20, 100),
    ("Lap time", "number", 2, lambda rng: round(rng.uniform(25, 90), 2), 25, 90),
]
MEASURED_SHARE, ENTRIES_EACH = 0.20, 10
NOTES = [
    "Allergic to peanuts, check the party menu",
    "Prefers Saturday mornings",
    "Asked about the summer camp price",
    "Twins: book two hosts",
    "Uses a wheelchair, ground floor room",
]
TODAY = date(2026, 11, 1)


def zipf_cumulative(count: int) -> list[float]:
    total, weights = 0.0, []
    for rank in range(count):
        total += 1 / (rank + 1)
        weights.append(total)
    return weights


def load_extras(
    superuser_url: str, organization_id: int, tag_ids: list[int], metric_ids: list[int], rng
) -> dict:
    """Tag assignments, metric entries and notes of the measured organization, with COPY."""
    import psycopg

    started, counts = time.perf_counter(), {"tags": 0, "entries": 0, "notes": 0}
    weights = zipf_cumulative(len(tag_ids))
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with psycopg.connect(superuser_url) as conn, conn.cursor() as cursor:
        customers = [
            customer_id
            for (customer_id,) in cursor.execute(
                "SELECT id FROM customers_customer WHERE organization_id = %s ORDER BY id", [organization_id]
            )
        ]
        columns = "organization_id, customer_id, tag_id, added_at"
        with cursor.copy(f"COPY tags_customertag ({columns}) FROM STDIN") as copy:
            for customer_id in customers:
                picks = rng.choices(
                    tag_ids, cum_weights=weights, k=round(rng.expovariate(1 / TAGS_PER_CUSTOMER))
                )
                for tag_id in set(picks):
                    copy.write_row((organization_id, customer_id, tag_id, now))
                    counts["tags"] += 1
        # Generated in the server: 10 entries a metric, about a month apart, the last one current.
        measured = rng.sample(customers, round(len(customers) * MEASURED_SHARE))
        for metric_id, (_, _, decimals, _, low, high) in zip(metric_ids, METRICS, strict=True):
            cursor.execute(
                """INSERT INTO metrics_metricentry (organization_id, customer_id, metric_id, value,
                     recorded_on, comment, created_at, is_current)
                   SELECT %(org)s, customer, %(metric)s,
                     round((%(low)s + random() * %(span)s)::numeric, %(places)s),
                     %(today)s::date - 900 + entry * 60 + (random() * 30)::int, '', %(now)s, entry = %(last)s
                   FROM unnest(%(customers)s::bigint[]) AS customer, generate_series(1, %(last)s) AS entry""",
                {
                    "org": organization_id,
                    "metric": metric_id,
                    "low": low,
                    "span": high - low,
                    "places": decimals,
                    "today": TODAY,
                    "now": now,
                    "last": ENTRIES_EACH,
                    "customers": measured,
                },
            )
            counts["entries"] += cursor.rowcount
        columns = "organization_id, customer_id, text, visibility, created_at"
        with cursor.copy(f"COPY notes_note ({columns}) FROM STDIN") as copy:
            for customer_id in rng.sample(customers, round(len(customers) * 0.05)):
                copy.write_row((organization_id, customer_id, rng.choice(NOTES), "staff", now))
                counts["notes"] += 1
        cursor.execute(
            """INSERT INTO notes_noteword (organization_id, note_id, customer_id, key)
               SELECT DISTINCT organization_id, id, customer_id, word
               FROM notes_note, regexp_split_to_table(lower(text), '[^a-z0-9]+') AS word
               WHERE length(word) >= 2"""
        )
        conn.commit()
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        for table in (
            "customers_customer",
            "tags_customertag",
            "metrics_metricentry",
            "notes_note",
            "notes_noteword",
        ):
            conn.execute(f"VACUUM ANALYZE {table}")
    print(
        f"loaded {counts['tags']:,} tag assignments, {counts['entries']:,} metric entries and"
        f" {counts['notes']:,} notes with COPY in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return counts


def segment_count(organization, params, viewer) -> int:
    from accounts.tenancy import tenant
    from customers.selectors import matching_queryset

    with tenant(organization):
        return matching_queryset(params, viewer).count()


HEADLINE = "2 tags (all) + metric ≥ x + search (headline)"


def requests_for(tag_ids: list[int], metric_ids: list[int], queries: list[str], count: int, rng) -> dict:
    from django.http import QueryDict

    weights = zipf_cumulative(len(tag_ids))

    def two_tags() -> dict:  # usually common tags, now and then a rare one
        first = rng.choices(tag_ids[:10], cum_weights=weights[:10])[0]
        second = rng.choice([tag for tag in tag_ids[:20] if tag != first])
        return {"tag": [first, second], "tag_mode": "all"}

    def metric_at_least() -> dict:
        index = rng.randrange(len(METRICS))
        return {"metric": metric_ids[index], "metric_min": METRICS[index][3](rng)}

    kinds = {
        "2 tags (all)": lambda _: two_tags(),
        "metric ≥ x": lambda _: metric_at_least(),
        "2 tags (all) + metric ≥ x": lambda _: two_tags() | metric_at_least(),
        HEADLINE: lambda query: two_tags() | metric_at_least() | {"q": query},
        "1 tag (any) + search": lambda query: {"tag": [rng.choice(tag_ids)], "q": query},
        "none of 3 tags": lambda _: {"tag": rng.sample(tag_ids[:10], 3), "tag_mode": "none"},
        "metric changed in 30 days": lambda _: {"metric": rng.choice(metric_ids), "metric_days": 30},
    }
    return {
        name: [
            QueryDict(urlencode(make(queries[index % len(queries)]), doseq=True))
            for index in range(len(queries) if name == HEADLINE else count)
        ]
        for name, make in kinds.items()
    }


def bulk_tag(organization, owner, count: int) -> float:
    """Seconds to tag `count` customers with a new tag as the roster's bulk action does when it is large: the
    operation is queued, then run in committed batches as the worker runs it."""
    from accounts.tenancy import tenant
    from customers import services
    from customers.models import BulkOperation, Customer
    from tags.models import CustomerTag, Tag

    with tenant(organization):
        tag = Tag.objects.create(name="Bulk-tagged")
        ids = list(Customer.objects.order_by("?").values_list("pk", flat=True)[:count])
    started = time.perf_counter()
    with tenant(organization):
        operation = services.customers_bulk(
            action="add_tag",
            customer_ids=ids,
            by=owner,
            params={"tag": tag.pk, "tag_name": tag.name},
        )
    if isinstance(operation, BulkOperation):  # small selections are tagged at once, in the request
        services.bulk_operation_run(organization=organization, operation_id=operation.pk)
    took = time.perf_counter() - started
    with tenant(organization):
        assert CustomerTag.objects.filter(tag=tag).count() == count
    return took


def main() -> None:
    parser = bench_parser(
        __doc__,
        size=50_000,
        full=500_000,
        what="customers in the measured organization (--full also bulk-tags 100,000)",
    )
    parser.add_argument("--requests", type=int, default=100, help="timed requests per kind")
    options = parser.parse_args()
    size = options.size
    bulk_count = min(100_000, size // 5)
    total = size + size // 10
    run_started = time.perf_counter()

    with bench_environment("segments-bench-") as superuser_url:
        from accounts.tenancy import tenant
        from customers.models import Customer
        from metrics.models import Metric
        from tags.models import Tag

        rng = random.Random(7)
        owner, big, other = bench_organizations()
        viewer = SimpleNamespace(role="owner", user_id=owner.pk)  # what the view passes: the membership
        load(superuser_url, total, (size - 0.5) / total, [big.pk, other.pk], rng)
        with tenant(big):
            tags = Tag.objects.bulk_create(Tag(name=f"Tag {number:02d}") for number in range(TAG_COUNT))
            metrics = [
                Metric.objects.create(
                    name=name, kind=kind, decimals=decimals, currency="USD" if kind == "money" else ""
                )
                for name, kind, decimals, *_ in METRICS
            ]
            rows = Customer.objects.count()
            sample = list(Customer.objects.order_by("?")[:500])
        tag_ids, metric_ids = [tag.pk for tag in tags], [metric.pk for metric in metrics]
        counts = load_extras(superuser_url, big.pk, tag_ids, metric_ids, rng)
        queries = as_you_type_queries(rng, sample)
        requests = requests_for(tag_ids, metric_ids, queries, options.requests, rng)

        figures, matches = {}, {}
        for name, batch in requests.items():
            for params in batch[:5]:  # warm the caches
                roster_request(big, params, viewer)
            as_a_worker()
            figures[name] = [
                timed(lambda params=params: roster_request(big, params, viewer)) for params in batch
            ]
            matches[name] = [roster_request(big, params, viewer) for params in batch[:20]]
        segments = requests["2 tags (all) + metric ≥ x"][:40]
        figures["segment live count (tags + metric)"] = [
            timed(lambda params=params: segment_count(big, params, viewer)) for params in segments
        ]
        bulk_seconds = bulk_tag(big, owner, bulk_count)

    print(
        f"\n{rows:,} customers in the measured organization ({total - rows:,} in another), {TAG_COUNT} tags"
        f" on {counts['tags']:,} assignments, {len(METRICS)} metrics with {counts['entries']:,} entries, "
        f"{counts['notes']:,} notes; times in ms"
    )
    goal_table(figures, {name: (50, 150) for name in figures}, matches)
    print(f"bulk-tag {bulk_count:,} customers (batches + an activity event each): {bulk_seconds:.1f} s")
    elapsed = time.perf_counter() - run_started
    print(f"(matches: median count per request, capped at 1,000; the run took {elapsed:.0f} s)")
    print(
        f"RESULT segment_p95_ms={percentile(figures[HEADLINE], 0.95):.1f} bulk_tag_100k_s="
        f"{bulk_seconds * 100_000 / bulk_count:.1f}"
    )


if __name__ == "__main__":
    main()
