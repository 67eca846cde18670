"""CPU time per request of the customer profile page and of each tab as htmx asks for it (time.process_time,
steady on a loaded machine), with the queries of each. Not a benchmark `make bench` runs.

    .venv/bin/python bench/_profile_profile.py [--size 40000] [--profile DIR] [-v]
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
    parser.add_argument("--profile", help="write cProfile stats of each page here (a directory)")
    parser.add_argument("-v", action="store_true", help="print the queries of each page")
    options = parser.parse_args()
    with bench_environment("profile-profile-") as superuser_url:
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from django.urls import reverse

        from accounts import services as account_services
        from accounts.tenancy import tenant
        from customers.extend import ProfileTab, registered
        from customers.models import Customer
        from notes import services as note_services

        rng = random.Random(7)
        owner = account_services.user_signup(email="bench@roster.example", password="bench-password-123")
        orgs = [
            account_services.organization_create(
                name=f"Bench {n}", slug=f"bench-{n}", time_zone="UTC", currency="USD", owner=owner
            )
            for n in range(3)
        ]
        load(superuser_url, options.size, 0.5, [org.pk for org in orgs], rng)
        org = orgs[1]
        with tenant(org):
            define_fields()
            pks = list(Customer.objects.order_by("?").values_list("pk", flat=True)[:20])
            for pk in pks[:10]:
                customer = Customer.objects.get(pk=pk)
                for n in range(3):
                    note_services.note_add(
                        customer=customer, text=f"Note {n}", visibility="staff", pinned=n == 0, by=owner
                    )
        client = Client()
        client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
        tab_header = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "profile-tabs"}
        pages = [("profile", lambda pk: f"/app/{org.slug}/customers/{pk}/", {})]
        for tab in registered(ProfileTab):
            pages.append(
                (
                    f"tab {tab.key}",
                    lambda pk, tab=tab: reverse(tab.url_name, kwargs={"org_slug": org.slug, "pk": pk}),
                    tab_header,
                )
            )
        totals = []
        for name, url, extra in pages:
            for pk in pks[:3]:
                assert client.get(url(pk), **extra).status_code == 200, name
            cpu = []
            for pk in pks:
                started = time.process_time()
                client.get(url(pk), **extra)
                cpu.append((time.process_time() - started) * 1000)
            with CaptureQueriesContext(connection) as queries:
                client.get(url(pks[0]), **extra)
            totals.append(statistics.median(cpu))
            print(
                f"{name:<16} CPU ms/request median {statistics.median(cpu):6.1f}"
                f"  mean {statistics.mean(cpu):6.1f}  {len(queries)} queries",
                flush=True,
            )
            if options.v:
                for query in queries:
                    print("   ", query["sql"][:200])
            if options.profile:
                profiler = cProfile.Profile()
                profiler.enable()
                for pk in pks:
                    client.get(url(pk), **extra)
                profiler.disable()
                profiler.dump_stats(f"{options.profile}/{name.replace(' ', '_')}.prof")
        print(f"{'sum of medians':<16} {sum(totals):6.1f} ms", flush=True)


if __name__ == "__main__":
    main()
