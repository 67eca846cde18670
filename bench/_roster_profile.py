"""CPU time per request of the roster page and its #results fragment (time.process_time, steady on a loaded
machine), with and without 20 custom fields, plus the queries of one page. Not a benchmark `make bench` runs.

    .venv/bin/python bench/_roster_profile.py [--size 40000] [--profile DIR] [-v]
"""

import argparse
import cProfile
import random
import statistics
import time

from _harness import bench_environment
from custom_field_filter import define_fields
from roster_search import load


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=40_000)
    parser.add_argument("--profile", help="write cProfile stats of each kind here (a directory)")
    parser.add_argument("-v", action="store_true", help="print the queries of one page")
    options = parser.parse_args()
    with bench_environment("roster-profile-") as superuser_url:
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from accounts import services as account_services
        from accounts.tenancy import tenant

        rng = random.Random(7)
        owner = account_services.user_signup(email="bench@roster.example", password="bench-password-123")
        orgs = [
            account_services.organization_create(
                name=f"Bench {n}", slug=f"bench-{n}", time_zone="UTC", currency="USD", owner=owner
            )
            for n in range(3)
        ]
        load(superuser_url, options.size, 0.5, [org.pk for org in orgs], rng)
        with tenant(orgs[1]):
            define_fields()
        client = Client()
        client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
        partial = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}
        for org, label in ((orgs[0], "no custom fields"), (orgs[1], "20 custom fields")):
            urls = [f"/app/{org.slug}/customers/?page={rng.randint(1, 20)}" for _ in range(20)]
            urls += [f"/app/{org.slug}/customers/?q={q}" for q in ("sm", "jo", "ma", "lee", "an") * 4]
            for url in urls[:5]:
                assert client.get(url).status_code == 200
                client.get(url, **partial)
            for kind, extra in (("page", {}), ("fragment", partial)):
                cpu = []
                for url in urls:
                    started = time.process_time()
                    client.get(url, **extra)
                    cpu.append((time.process_time() - started) * 1000)
                print(
                    f"{label:<18}{kind:<10} CPU ms/request median {statistics.median(cpu):6.1f}"
                    f"  mean {statistics.mean(cpu):6.1f}",
                    flush=True,
                )
                with CaptureQueriesContext(connection) as queries:
                    client.get(urls[0], **extra)
                print(f"{'':<28}{len(queries)} queries", flush=True)
                if options.profile and org is orgs[1]:
                    profiler = cProfile.Profile()
                    profiler.enable()
                    for url in urls:
                        client.get(url, **extra)
                    profiler.disable()
                    profiler.dump_stats(f"{options.profile}/{kind}.prof")
                if options.v and org is orgs[1]:
                    for query in queries:
                        print("   ", query["sql"][:220])


if __name__ == "__main__":
    main()
