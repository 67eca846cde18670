"""The customers API at size: a page of 100 customers with the roster's filters, and customers added through
the batch endpoint a second.

    .venv/bin/python bench/api.py            # 50 k customers in the measured organization
    .venv/bin/python bench/api.py --full     # 500 k (the issue's figure), and 50 k in another beside it

Starts its own embedded PostgreSQL and Redis, loads customers with COPY (as bench/roster_search.py does),
then calls `/api/v1/customers/` through Django's test client with an API key, as the app role (row-level
security in force). The rate limits are lifted for the run: they would refuse a benchmark's pace.
"""

import argparse
import json
import random
import statistics
import time

from _harness import bench_environment
from roster_search import load, percentile

GOALS = {"list_p95_ms": 30, "batch_per_s": 1000}
FILTERS = [
    "has_email=true",
    "source=import&birthday_month=3",
    "letter=m",
    "created_min=2024-06-01&has_phone=true",
    "order=updated_at&updated_since=2024-12-01T00:00:00Z",
    "q=mar",
]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=50_000, help="customers in the measured organization")
    parser.add_argument("--full", action="store_true", help="500,000 customers (the issue's figure)")
    options = parser.parse_args()
    measured_size = 500_000 if options.full else options.size

    with bench_environment("api-bench-") as superuser_url:
        from django.conf import settings
        from django.test import Client

        from accounts import services as account_services
        from accounts.tenancy import tenant
        from api.services import key_create

        settings.API_RATE_LIMITS = {"burst": "1000000/s", "sustained": "1000000/min"}
        rng = random.Random(7)
        owner = account_services.user_signup(email="bench@roster.example", password="bench-password-123")
        measured, other = (
            account_services.organization_create(
                name=f"Bench {n}", slug=f"bench-{n}", time_zone="UTC", currency="USD", owner=owner
            )
            for n in range(2)
        )
        total = measured_size + measured_size // 10
        load(superuser_url, total, measured_size / total, [measured.pk, other.pk], rng)
        with tenant(measured):
            secret = key_create(name="Bench", scopes=["customers:write"], by=owner)[1]
        client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

        def timed_get(url: str) -> tuple[float, dict]:
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, response.content[:500]
            return elapsed, response.json()

        list_ms: dict[str, list[float]] = {}
        for params in FILTERS:
            url = f"/api/v1/customers/?limit=100&{params}"
            timed_get(url)  # warm
            times = list_ms.setdefault(params, [])
            for _ in range(5):  # the first page and four pages on by the cursor
                elapsed, page = timed_get(url)
                times.append(elapsed)
                for _ in range(4):
                    if not page["next"]:
                        break
                    elapsed, page = timed_get(page["next"])
                    times.append(elapsed)

        batches, created, started = 10, 0, time.perf_counter()
        for batch in range(batches):
            items = [
                {
                    "first_name": f"Api{n}",
                    "last_name": f"Batch{batch}",
                    "email": f"api{batch}x{n}@bench.example",
                }
                for n in range(1000)
            ]
            response = client.post(
                "/api/v1/customers/batch/", json.dumps({"customers": items}), content_type="application/json"
            )
            assert response.status_code == 200, response.content[:500]
            created += response.json()["created"]
        batch_seconds = time.perf_counter() - started

    every = [value for values in list_ms.values() for value in values]
    print(f"\n{measured_size:,} customers in the measured organization; times in ms")
    print(f"{'list 100 with':<52}{'p50':>9}{'p95':>9}{'max':>9}")
    for params, values in list_ms.items():
        p50, p95 = statistics.median(values), percentile(values, 0.95)
        print(f"{params:<52}{p50:>9.1f}{p95:>9.1f}{max(values):>9.1f}")
    list_p95, per_second = percentile(every, 0.95), created / batch_seconds
    print(f"{'all lists':<52}{statistics.median(every):>9.1f}{list_p95:>9.1f}{max(every):>9.1f}")
    print(f"list p95 {list_p95:.1f} ms (goal ≤ {GOALS['list_p95_ms']})")
    goal = GOALS["batch_per_s"]
    print(f"batch writes {per_second:,.0f} customers/s (goal ≥ {goal:,}; {created:,} in 10 calls)")
    print(f"RESULT list_p95_ms={list_p95:.1f} batch_customers_per_s={per_second:.0f}")


if __name__ == "__main__":
    main()
