"""CPU time per request of the customer profile page and of each tab as htmx asks for it (time.process_time,
steady on a loaded machine), with the queries of each. Not a benchmark `make bench` runs.

    .venv/bin/python bench/_profile_profile.py [--size 40000] [--profile DIR] [-v]
"""

import statistics

from _harness import cpu_per_request, cpu_probe_parser, cpu_probe_world


def main() -> None:
    options = cpu_probe_parser(__doc__).parse_args()
    with cpu_probe_world("profile-profile-", options.size) as (owner, orgs, client, _):
        from django.urls import reverse

        from accounts.tenancy import tenant
        from customers.extend import ProfileTab, registered
        from customers.models import Customer
        from notes import services as note_services

        org = orgs[1]
        with tenant(org):
            pks = list(Customer.objects.order_by("?").values_list("pk", flat=True)[:20])
            for pk in pks[:10]:
                customer = Customer.objects.get(pk=pk)
                for n in range(3):
                    note_services.note_add(
                        customer=customer, text=f"Note {n}", visibility="staff", pinned=n == 0, by=owner
                    )
        tab_header = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "profile-panel"}  # what a tab link asks
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
            profile = f"{options.profile}/{name.replace(' ', '_')}.prof" if options.profile else None
            cpu, queries = cpu_per_request(client, [url(pk) for pk in pks], extra, profile)
            totals.append(statistics.median(cpu))
            print(
                f"{name:<16} CPU ms/request median {statistics.median(cpu):6.1f}"
                f"  mean {statistics.mean(cpu):6.1f}  {len(queries)} queries",
                flush=True,
            )
            if options.v:
                for query in queries:
                    print("   ", query["sql"][:200])
        print(f"{'sum of medians':<16} {sum(totals):6.1f} ms", flush=True)


if __name__ == "__main__":
    main()
